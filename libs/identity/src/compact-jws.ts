// Compact JWS (RFC 7515) with EdDSA (RFC 8037) over a 32-byte statement digest: the one signing and checking
// path that updates, decisions and receipts share, so all three refuse the same things with the same codes.
// Our own statements are signed and checked with node's synchronous Ed25519 (crypto.sign/verify): jose v6 runs
// on WebCrypto, whose every call is a thread-pool job, and that hop cost more than the signature itself on every
// update, decision and receipt. The bytes are jose's (same header JSON in the same key order, unpadded
// base64url); foreign tokens (OIDC, attestation) stay with jose elsewhere.
import { sign, timingSafeEqual, verify, type KeyObject } from 'node:crypto';
import { IdentityError } from './identity-error.js';
import { fingerprintOfPublicKey } from './identity-key.js';

const ALG = 'EdDSA';
const DIGEST_BYTES = 32;
// Header ~150 characters, payload 43, signature 86; anything much longer is not one of ours and is not parsed.
const MAX_JWS_LENGTH = 2048;
const BASE64URL = /^[A-Za-z0-9_-]*$/;
/** RFC 8032 §5.1.6: an Ed25519 signature is 64 bytes. */
const SIGNATURE_BYTES = 64;
const UTF8 = new TextDecoder('utf-8', { fatal: true });
// Only these header parameters are ever written; any other (crit, b64, jwk, x5u …) marks a foreign token.
const ALLOWED_HEADER_PARAMETERS = new Set(['alg', 'typ', 'kid']);

export interface StatementHeader {
  /** The statement kind, e.g. 'cohort-update+jws'. */
  typ: string;
  /** The signer's key fingerprint (hex SHA-256 of its raw public key). */
  kid: string;
}

/** Signs `payload` with an Ed25519 private key; the protected header is `{alg:'EdDSA', ...header}`. */
export function signCompactJws(
  privateKey: KeyObject,
  header: Partial<StatementHeader>,
  payload: Uint8Array,
): Promise<string> {
  return settle(() => {
    if (privateKey.type !== 'private' || privateKey.asymmetricKeyType !== 'ed25519') {
      throw new IdentityError('IDENTITY_KEY_INVALID', 'statements are signed with an Ed25519 private key');
    }
    // JSON.stringify keeps insertion order, as jose does: alg first keeps the output identical to RFC 8037 A.4.
    const signingInput = `${base64url(JSON.stringify({ alg: ALG, ...header }))}.${base64url(payload)}`;
    const signature = sign(null, Buffer.from(signingInput, 'latin1'), privateKey);
    return `${signingInput}.${signature.toString('base64url')}`;
  });
}

/**
 * Checks that `jws` is an EdDSA compact JWS of kind `expected.typ`, signed by `publicKey` (whose fingerprint
 * must be the `kid`), over exactly `digest`. Throws `SIGNATURE_MALFORMED`, `SIGNATURE_INVALID` or
 * `SIGNATURE_MISMATCH`; the cheap structural checks run before any signature arithmetic.
 */
export function verifyStatementJws(
  jws: string,
  publicKey: KeyObject,
  typ: string,
  digest: Uint8Array,
): Promise<void> {
  return settle(() => checkStatement(jws, publicKey, typ, digest));
}

function checkStatement(jws: string, publicKey: KeyObject, typ: string, digest: Uint8Array): void {
  const kid = fingerprintOfPublicKey(publicKey);
  const { header, segments } = parseStatement(jws, typ);
  if (header.kid !== kid) {
    throw new IdentityError(
      'SIGNATURE_INVALID',
      `the ${typ} is signed by key ${header.kid}, not by the expected key ${kid}`,
    );
  }
  const payload = canonicalBase64url(typ, 'payload', segments[1]);
  const signature = canonicalBase64url(typ, 'signature', segments[2]);
  // A signature of another length cannot verify; jose reported it as a failed verification too.
  const valid =
    signature.byteLength === SIGNATURE_BYTES &&
    verify(null, Buffer.from(`${segments[0]}.${segments[1]}`, 'latin1'), publicKey, signature);
  if (!valid) {
    throw new IdentityError('SIGNATURE_INVALID', `the ${typ} signature does not verify under key ${kid}`);
  }
  if (payload.byteLength !== digest.byteLength || !timingSafeEqual(payload, digest)) {
    throw new IdentityError(
      'SIGNATURE_MISMATCH',
      `the ${typ} is validly signed by key ${kid} but over different claims than expected`,
    );
  }
}

type StatementHeaderParameters = Record<string, unknown> & { kid: string };

function parseStatement(
  jws: string,
  typ: string,
): { header: StatementHeaderParameters; segments: [string, string, string] } {
  if (typeof jws !== 'string' || jws.length === 0 || jws.length > MAX_JWS_LENGTH) {
    throw malformed(typ, 'expected a compact JWS string');
  }
  const segments = jws.split('.');
  if (segments.length !== 3 || !segments.every((s) => s.length > 0 && BASE64URL.test(s))) {
    throw malformed(typ, 'expected three non-empty base64url segments separated by dots');
  }
  // 32 bytes are exactly 43 base64url characters; checked on the text so a foreign payload is never decoded.
  if (segments[1].length !== Math.ceil((DIGEST_BYTES * 4) / 3)) {
    throw malformed(typ, `the payload must be a ${DIGEST_BYTES}-byte digest`);
  }
  let header: unknown;
  try {
    header = JSON.parse(UTF8.decode(canonicalBase64url(typ, 'protected header', segments[0])));
  } catch (cause) {
    throw malformed(typ, 'the protected header is not base64url-encoded JSON', cause);
  }
  if (!isPlainObject(header)) throw malformed(typ, 'the protected header is not a JSON object');
  const unexpected = Object.keys(header).filter((name) => !ALLOWED_HEADER_PARAMETERS.has(name));
  if (unexpected.length > 0) throw malformed(typ, `unexpected header parameters: ${unexpected.join(', ')}`);
  if (header.alg !== ALG) throw malformed(typ, `alg must be ${ALG}, got ${String(header.alg)}`);
  if (header.typ !== typ) throw malformed(typ, `typ must be ${typ}, got ${String(header.typ)}`);
  if (typeof header.kid !== 'string' || header.kid === '') throw malformed(typ, 'the kid header is missing');
  return { header: { ...header, kid: header.kid }, segments: [segments[0], segments[1], segments[2]] };
}

/**
 * Decodes unpadded base64url, refusing any text that is not the one encoding of its bytes (a length of 4k+1,
 * non-zero spare bits): one statement has exactly one serialisation, as our signer writes it.
 */
function canonicalBase64url(typ: string, part: string, text: string): Buffer {
  const bytes = Buffer.from(text, 'base64url');
  if (bytes.toString('base64url') !== text) throw malformed(typ, `the ${part} is not canonical base64url`);
  return bytes;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

function base64url(data: string | Uint8Array): string {
  return (
    typeof data === 'string'
      ? Buffer.from(data, 'utf8')
      : Buffer.from(data.buffer, data.byteOffset, data.byteLength)
  ).toString('base64url');
}

/** Runs synchronously; a throw becomes the rejection callers of these promise-returning functions expect. */
function settle<T>(run: () => T): Promise<T> {
  try {
    return Promise.resolve(run());
  } catch (error) {
    return Promise.reject(error instanceof Error ? error : new Error(String(error)));
  }
}

function malformed(typ: string, problem: string, cause?: unknown): IdentityError {
  return new IdentityError('SIGNATURE_MALFORMED', `malformed ${typ}: ${problem}`, { cause });
}
