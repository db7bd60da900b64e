import type { MappedClaims } from './claim-mapping.js';
import { malformed, type Claims } from './claim-readers.js';
import { DBGSTAT_ENABLED } from './dbgstat.js';
import { AttestationError } from './errors.js';
import type { AttestationPolicy } from './verifier.js';

// The checks every verifier plug-in applies after the signature, in the order the codes are documented.
// Each is a pure function of the verified claims, the policy and the clock.

export const DEFAULT_CLOCK_TOLERANCE_SECONDS = 30;

/** A policy that cannot be applied is a configuration error, not a refused token. */
export function assertPolicyShape(policy: AttestationPolicy): void {
  const problems: string[] = [];
  if (typeof policy.audience !== 'string' || policy.audience.length === 0) problems.push('audience is empty');
  if (!Array.isArray(policy.allowedMeasurements)) problems.push('allowedMeasurements is not a list');
  if (typeof policy.allowDebug !== 'boolean') problems.push('allowDebug is not a boolean');
  for (const [name, value] of [
    ['maxAgeSeconds', policy.maxAgeSeconds],
    ['clockToleranceSeconds', policy.clockToleranceSeconds],
  ] as const) {
    if (value !== undefined && !(Number.isFinite(value) && value >= 0))
      problems.push(`${name} is not a non-negative number`);
  }
  if (policy.expectedNonce !== undefined && policy.expectedNonce.length === 0)
    problems.push('expectedNonce is empty');
  if (problems.length > 0) {
    throw new AttestationError('ATTESTATION_CONFIG_INVALID', `attestation policy: ${problems.join('; ')}`);
  }
}

/** `exp` and `iat` are required; `nbf` is honoured when present; `maxAgeSeconds` bounds the age by `iat`. */
export function checkValidity(claims: Claims, policy: AttestationPolicy, nowSeconds: number): void {
  const tolerance = policy.clockToleranceSeconds ?? DEFAULT_CLOCK_TOLERANCE_SECONDS;
  const exp = numericDate(claims, 'exp');
  const iat = numericDate(claims, 'iat');
  const nbf = claims['nbf'] === undefined ? undefined : numericDate(claims, 'nbf');
  if (nowSeconds >= exp + tolerance) {
    throw new AttestationError('ATTESTATION_EXPIRED', `the attestation token expired at ${isoTime(exp)}`);
  }
  if (nbf !== undefined && nbf > nowSeconds + tolerance) {
    throw new AttestationError(
      'ATTESTATION_EXPIRED',
      `the attestation token is not valid before ${isoTime(nbf)}`,
    );
  }
  if (iat > nowSeconds + tolerance) {
    throw new AttestationError(
      'ATTESTATION_EXPIRED',
      `the attestation token was issued in the future (${isoTime(iat)}); check the clocks`,
    );
  }
  if (policy.maxAgeSeconds !== undefined && nowSeconds - iat > policy.maxAgeSeconds + tolerance) {
    throw new AttestationError(
      'ATTESTATION_EXPIRED',
      `the attestation token was issued at ${isoTime(iat)}, more than ${policy.maxAgeSeconds} s ago`,
    );
  }
}

export function checkAudience(claims: Claims, mapped: MappedClaims, policy: AttestationPolicy): void {
  const aud = claims['aud'] ?? mapped.audience;
  const audiences = typeof aud === 'string' ? [aud] : Array.isArray(aud) ? (aud as unknown[]) : [];
  if (!audiences.includes(policy.audience)) {
    const stated = audiences.length > 0 ? audiences.map(String).join(', ') : 'none';
    throw new AttestationError(
      'ATTESTATION_AUDIENCE',
      `the attestation token is for ${stated}, not for ${policy.audience}`,
    );
  }
}

/** The nonce the result reports: the expected one when the policy names one (it must be present), else the first. */
export function checkNonce(mapped: MappedClaims, policy: AttestationPolicy): string | undefined {
  const nonces =
    mapped.nonce === undefined ? [] : typeof mapped.nonce === 'string' ? [mapped.nonce] : [...mapped.nonce];
  if (policy.expectedNonce === undefined) return nonces[0];
  const expected = Buffer.from(policy.expectedNonce).toString('base64url');
  if (!nonces.includes(expected)) {
    throw new AttestationError(
      'ATTESTATION_NONCE',
      nonces.length === 0
        ? 'the attestation token carries no nonce, so it cannot answer this challenge'
        : 'the attestation token answers another challenge (its nonce is not the one sent); it may be a replay',
    );
  }
  return expected;
}

export function checkMeasurement(mapped: MappedClaims, policy: AttestationPolicy): string {
  const measurement = mapped.measurement.toLowerCase();
  const allowed = policy.allowedMeasurements.map((m) => m.toLowerCase());
  if (!allowed.includes(measurement)) {
    throw new AttestationError(
      'ATTESTATION_MEASUREMENT',
      allowed.length === 0
        ? `measurement ${measurement} refused: the allow-list is empty`
        : `measurement ${measurement} is not on the allow-list (${allowed.length} allowed); the attested code differs from the audited code`,
    );
  }
  return measurement;
}

export function checkDebug(mapped: MappedClaims, policy: AttestationPolicy): void {
  if (mapped.dbgstat === DBGSTAT_ENABLED && !policy.allowDebug) {
    throw new AttestationError(
      'ATTESTATION_DEBUG',
      'the attested environment has debugging enabled (dbgstat 0), which this policy forbids',
    );
  }
}

function numericDate(claims: Claims, name: string): number {
  const value = claims[name];
  if (typeof value !== 'number' || !Number.isFinite(value))
    throw malformed(`claim ${name} is missing or not a number`);
  return value;
}

function isoTime(seconds: number): string {
  const date = new Date(seconds * 1000);
  return Number.isNaN(date.getTime()) ? String(seconds) : date.toISOString();
}
