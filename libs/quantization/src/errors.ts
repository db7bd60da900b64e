// Quantization failures carry a stable code so the enclave and the host can name why a payload was refused
// without parsing messages.

export type QuantizationErrorCode =
  /** A payload whose length does not match the encoding and the model's parameter count. */
  | 'LENGTH_MISMATCH'
  /** An encoding this version cannot pack or unpack. */
  | 'UNSUPPORTED_ENCODING'
  /** A payload with a value no encoder produces (an int8 code of -128). */
  | 'MALFORMED_PAYLOAD';

export class QuantizationError extends Error {
  readonly code: QuantizationErrorCode;

  constructor(code: QuantizationErrorCode, message: string) {
    super(message);
    this.name = 'QuantizationError';
    this.code = code;
  }
}
