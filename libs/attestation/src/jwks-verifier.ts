import {
  compactVerify,
  createLocalJWKSet,
  createRemoteJWKSet,
  decodeJwt,
  decodeProtectedHeader,
  errors,
  type CryptoKey,
  type FlattenedJWSInput,
  type JSONWebKeySet,
  type JWSHeaderParameters,
  type ProtectedHeaderParameters,
} from 'jose';
import type { ClaimMapping } from './claim-mapping.js';
import { isObject, malformed } from './claim-readers.js';
import { AttestationError } from './errors.js';
import {
  assertPolicyShape,
  checkAudience,
  checkDebug,
  checkMeasurement,
  checkNonce,
  checkValidity,
} from './policy-checks.js';
import type { AttestationPolicy, AttestationVerifier, VerifiedAttestation } from './verifier.js';

export interface JwksVerifierOptions {
  /** Recorded in every result and audit entry, e.g. 'azure-attestation-westeurope'. */
  name: string;
  /** The only `iss` accepted. */
  issuer: string;
  /** The verifier's keys: a pinned set, or the service's JWKS URL (fetched once, cached, refreshed on rotation). */
  jwks: JSONWebKeySet | URL;
  /** Accepted JWS algorithms; defaults to the mapping's documented ones. Symmetric algorithms and 'none' are refused. */
  algorithms?: readonly string[];
  claimMapping: ClaimMapping;
  /** Marks every result as coming from an insecure development authority. */
  insecureDev?: boolean;
  /** For a JWKS URL: request timeout, cache lifetime, and the pause before an unknown `kid` triggers a refetch. */
  remote?: { timeoutMs?: number; cacheMaxAgeMs?: number; cooldownMs?: number };
  /** Milliseconds since the epoch; tests move it. */
  clock?: () => number;
}

type KeyResolver = (header: JWSHeaderParameters, token: FlattenedJWSInput) => Promise<CryptoKey>;

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * Verifies attestation tokens (JWTs) from an attestation service against its JWKS, then applies a policy:
 * issuer, signature, validity, audience, nonce, measurement allow-list and debug status — each failure with
 * its own code. The provider's claim layout is read through a {@link ClaimMapping}.
 */
export class JwksVerifier implements AttestationVerifier {
  readonly name: string;
  readonly issuer: string;
  readonly insecureDev: boolean;
  private readonly mapping: ClaimMapping;
  private readonly algorithms: string[];
  private readonly keys: KeyResolver;
  private readonly remote: boolean;
  private readonly clock: () => number;

  constructor(options: JwksVerifierOptions) {
    if (!options.name) throw config('a verifier needs a name');
    if (!options.issuer) throw config(`verifier ${options.name} needs an issuer`);
    this.name = options.name;
    this.issuer = options.issuer;
    this.insecureDev = options.insecureDev ?? false;
    this.mapping = options.claimMapping;
    this.algorithms = [...(options.algorithms ?? options.claimMapping.algorithms)];
    const refused = this.algorithms.filter((alg) => alg === 'none' || /^HS/i.test(alg));
    if (this.algorithms.length === 0 || refused.length > 0) {
      // A symmetric key in a public JWKS would let anyone who can read it forge tokens.
      throw config(
        `verifier ${options.name}: algorithms must be asymmetric (refused: ${refused.join(', ') || 'empty list'})`,
      );
    }
    this.clock = options.clock ?? Date.now;
    if (options.jwks instanceof URL) {
      const url = options.jwks;
      if (url.protocol !== 'https:' && !(url.protocol === 'http:' && LOOPBACK.has(url.hostname))) {
        throw config(`verifier ${options.name}: the JWKS must be fetched over https (got ${url.href})`);
      }
      this.remote = true;
      this.keys = createRemoteJWKSet(url, {
        timeoutDuration: options.remote?.timeoutMs ?? 5_000,
        cacheMaxAge: options.remote?.cacheMaxAgeMs ?? 10 * 60_000,
        cooldownDuration: options.remote?.cooldownMs ?? 30_000,
      });
    } else {
      this.remote = false;
      try {
        this.keys = createLocalJWKSet(options.jwks);
      } catch (error) {
        throw config(`verifier ${options.name}: the pinned JWKS is malformed`, error);
      }
    }
  }

  async verify(token: string, policy: AttestationPolicy): Promise<VerifiedAttestation> {
    assertPolicyShape(policy);
    const header = this.decodeHeader(token);
    // The issuer is compared before the signature so that a token from another service is reported as such
    // (with its stated issuer) rather than as a bad signature; nothing else is read before verification.
    const stated = this.decodeUnverifiedIssuer(token);
    if (stated !== this.issuer) {
      throw new AttestationError(
        'ATTESTATION_ISSUER',
        `the attestation token is from ${stated === undefined ? 'an unnamed issuer' : JSON.stringify(stated)}, not from ${this.issuer}`,
      );
    }
    if (this.mapping.typ !== undefined && normaliseTyp(header.typ) !== this.mapping.typ) {
      throw malformed(
        `the token header typ is ${String(header.typ)}, ${this.mapping.name} tokens are ${this.mapping.typ}`,
      );
    }
    const claims = parseClaims(await this.verifySignature(token));
    if (claims['iss'] !== this.issuer)
      throw new AttestationError('ATTESTATION_ISSUER', `the verified issuer is not ${this.issuer}`);
    checkValidity(claims, policy, Math.floor(this.clock() / 1000));
    const mapped = await this.mapping.extract(claims);
    checkAudience(claims, mapped, policy);
    const nonce = checkNonce(mapped, policy);
    const measurement = checkMeasurement(mapped, policy);
    checkDebug(mapped, policy);
    return {
      verifier: this.name,
      issuer: this.issuer,
      measurement,
      dbgstat: mapped.dbgstat,
      nonce,
      keyThumbprint: mapped.keyThumbprint,
      extraKeyThumbprints: { ...mapped.extraKeyThumbprints },
      // A dev-authority token stays marked even when read by a verifier not configured as insecure.
      insecureDev: this.insecureDev || claims['cohort_insecure_dev'] === true,
      claims,
    };
  }

  private decodeHeader(token: string): ProtectedHeaderParameters {
    if (typeof token !== 'string' || token.split('.').length !== 3) {
      throw malformed('the attestation token is not a compact JWS (three dot-separated parts)');
    }
    try {
      return decodeProtectedHeader(token);
    } catch (error) {
      throw new AttestationError('ATTESTATION_MALFORMED', 'the attestation token header is not valid JSON', {
        cause: error,
      });
    }
  }

  private decodeUnverifiedIssuer(token: string): unknown {
    try {
      return decodeJwt(token).iss;
    } catch (error) {
      throw new AttestationError(
        'ATTESTATION_MALFORMED',
        'the attestation token payload is not a JSON object',
        {
          cause: error,
        },
      );
    }
  }

  private async verifySignature(token: string): Promise<Uint8Array> {
    try {
      return (await compactVerify(token, this.keys, { algorithms: this.algorithms })).payload;
    } catch (error) {
      if (error instanceof errors.JWKSMultipleMatchingKeys) return this.verifyWithAnyOf(token, error);
      throw this.translate(error);
    }
  }

  // Several keys without a distinguishing kid: the token is good if any of them verifies it.
  private async verifyWithAnyOf(
    token: string,
    candidates: errors.JWKSMultipleMatchingKeys,
  ): Promise<Uint8Array> {
    for await (const key of candidates) {
      try {
        return (await compactVerify(token, key, { algorithms: this.algorithms })).payload;
      } catch {
        // try the next candidate
      }
    }
    throw new AttestationError(
      'ATTESTATION_SIGNATURE',
      `no key of ${this.name}'s JWKS verifies the token's signature`,
    );
  }

  private translate(error: unknown): AttestationError {
    if (error instanceof errors.JWSInvalid) {
      return new AttestationError(
        'ATTESTATION_MALFORMED',
        `the attestation token is not a valid JWS: ${error.message}`,
        {
          cause: error,
        },
      );
    }
    if (error instanceof errors.JWKSNoMatchingKey) {
      return new AttestationError(
        'ATTESTATION_SIGNATURE',
        `the attestation token is signed with a key that is not among ${this.name}'s pinned keys`,
        { cause: error },
      );
    }
    if (
      error instanceof errors.JWSSignatureVerificationFailed ||
      error instanceof errors.JOSEAlgNotAllowed ||
      error instanceof errors.JOSENotSupported
    ) {
      return new AttestationError(
        'ATTESTATION_SIGNATURE',
        `the attestation token's signature is not valid: ${error.message}`,
        {
          cause: error,
        },
      );
    }
    if (this.remote) {
      // Timeouts, HTTP errors and unparsable key sets: the keys could not be had, which says nothing about the token.
      return new AttestationError(
        'ATTESTATION_JWKS_UNAVAILABLE',
        `the keys of ${this.name} could not be fetched: ${error instanceof Error ? error.message : String(error)}`,
        { cause: error },
      );
    }
    return new AttestationError(
      'ATTESTATION_SIGNATURE',
      `the attestation token could not be verified: ${String(error)}`,
      {
        cause: error,
      },
    );
  }
}

function parseClaims(payload: Uint8Array): Record<string, unknown> {
  let claims: unknown;
  try {
    claims = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(payload));
  } catch (error) {
    throw new AttestationError('ATTESTATION_MALFORMED', 'the verified payload is not JSON', { cause: error });
  }
  if (!isObject(claims)) throw malformed('the verified payload is not a JSON object');
  return claims;
}

/** RFC 7515 section 4.1.9: `typ` may omit the "application/" prefix, and media types are case-insensitive. */
function normaliseTyp(typ: unknown): string | undefined {
  if (typeof typ !== 'string') return undefined;
  const lower = typ.toLowerCase();
  return lower.startsWith('application/') ? lower.slice('application/'.length) : lower;
}

function config(message: string, cause?: unknown): AttestationError {
  return new AttestationError(
    'ATTESTATION_CONFIG_INVALID',
    message,
    cause === undefined ? undefined : { cause },
  );
}
