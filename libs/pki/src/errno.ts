// Node reports file-system failures as errors with a string `code`; this narrows to the few we translate.
// Duck-typed rather than `instanceof Error`: errors raised by node internals come from another realm under
// jest's VM modules (and in worker or vm contexts), where instanceof fails.
export function isErrno(error: unknown, code: string): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === code;
}
