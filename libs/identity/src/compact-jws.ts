// Compact JWS (RFC 7515) with EdDSA (RFC 8037) over a 32-byte statement digest: the one signing and checking
// path that updates, decisions and receipts share, so all three refuse the same things with the same codes.
import { timingSafeEqual, type KeyObject } from 'node:crypto';
import {
  CompactSign,
  compactVerify,
  decodeProtectedHeader,
  errors,
  type ProtectedHeaderParameters,
} from 'jose';
import { errorCodeOf } from './realm-checks.js';
import { IdentityError } from './identity-error.js';
import { fingerprintOfPublicKey } from './identity-key.js';

const ALG = 'EdDSA';
const DIGEST_BYTES = 32;
// Header ~150 characters, payload 43, signature 86; anything much longer is not one of ours and is not parsed.
const MAX_JWS_LENGTH = 2048;
const BASE64URL = /^[A-Za-z0-9_-]*$/;
// Only these header parameters are ever written; any other (crit, b64, jwk, x5u …) marks a foreign token.
const ALLOWED_HEADER_PARAMETERS = new Set(['alg', 'typ', 'kid']);

export interface StatementHeader {
  /** The statement kind, e.g. 'cohort-update+jws'. */
  typ: string;
  /** The signer's key fingerprint (hex SHA-256 of its raw public key). */
  kid: string;
}

/** Signs `payload` with an Ed25519 private key; the protected header is `{alg:'EdDSA', ...header}`. */
export async function signCompactJws(
  privateKey: KeyObject,
  header: Partial<StatementHeader>,
  payload: Uint8Array,
): Promise<string> {
  if (privateKey.type !== 'private' || privateKey.asymmetricKeyType !== 'ed25519') {
    throw new IdentityError('IDENTITY_KEY_INVALID', 'statements are signed with an Ed25519 private key');
  }
  // jose serialises the header in insertion order; alg first keeps the output identical to RFC 8037 A.4.
  return new CompactSign(payload).setProtectedHeader({ alg: ALG, ...header }).sign(privateKey);
}

/**
 * Checks that `jws` is an EdDSA compact JWS of kind `expected.typ`, signed by `publicKey` (whose fingerprint
 * must be the `kid`), over exactly `digest`. Throws `SIGNATURE_MALFORMED`, `SIGNATURE_INVALID` or
 * `SIGNATURE_MISMATCH`; the cheap structural checks run before any signature arithmetic.
 */
export async function verifyStatementJws(
  jws: string,
  publicKey: KeyObject,
  typ: string,
  digest: Uint8Array,
): Promise<void> {
  const kid = fingerprintOfPublicKey(publicKey);
  const header = parseStatement(jws, typ);
  if (header.kid !== kid) {
    throw new IdentityError(
      'SIGNATURE_INVALID',
      `the ${typ} is signed by key ${header.kid}, not by the expected key ${kid}`,
    );
  }
  let payload: Uint8Array;
  try {
    ({ payload } = await compactVerify(jws, publicKey, { algorithms: [ALG] }));
  } catch (cause) {
    if (errorCodeOf(cause) === errors.JWSSignatureVerificationFailed.code) {
      throw new IdentityError('SIGNATURE_INVALID', `the ${typ} signature does not verify under key ${kid}`, {
        cause,
      });
    }
    throw new IdentityError('SIGNATURE_MALFORMED', `the ${typ} is not a valid compact JWS`, { cause });
  }
  if (payload.byteLength !== digest.byteLength || !timingSafeEqual(payload, digest)) {
    throw new IdentityError(
      'SIGNATURE_MISMATCH',
      `the ${typ} is validly signed by key ${kid} but over different claims than expected`,
    );
  }
}

function parseStatement(jws: string, typ: string): ProtectedHeaderParameters & { kid: string } {
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
  let header: ProtectedHeaderParameters;
  try {
    header = decodeProtectedHeader(jws);
  } catch (cause) {
    throw malformed(typ, 'the protected header is not base64url-encoded JSON', cause);
  }
  const unexpected = Object.keys(header).filter((name) => !ALLOWED_HEADER_PARAMETERS.has(name));
  if (unexpected.length > 0) throw malformed(typ, `unexpected header parameters: ${unexpected.join(', ')}`);
  if (header.alg !== ALG) throw malformed(typ, `alg must be ${ALG}, got ${String(header.alg)}`);
  if (header.typ !== typ) throw malformed(typ, `typ must be ${typ}, got ${String(header.typ)}`);
  if (typeof header.kid !== 'string' || header.kid === '') throw malformed(typ, 'the kid header is missing');
  return { ...header, kid: header.kid };
}

function malformed(typ: string, problem: string, cause?: unknown): IdentityError {
  return new IdentityError('SIGNATURE_MALFORMED', `malformed ${typ}: ${problem}`, { cause });
}
