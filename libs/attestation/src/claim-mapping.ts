/** What Cohort needs from a provider's token, whatever the provider calls it. */
export interface MappedClaims {
  /** The measurement compared with the allow-list (hex, or `sha256:<hex>` for container digests). */
  measurement: string;
  /** RFC 9711 integer; 0 means debug enabled. */
  dbgstat: number;
  /** Nonce(s) the token echoes, as base64url of the relying party's nonce bytes. */
  nonce?: string | readonly string[];
  /** RFC 7638 thumbprint of the bound main key. */
  keyThumbprint?: string;
  /** Further bound keys by name. */
  extraKeyThumbprints?: Readonly<Record<string, string>>;
  /**
   * The audience, for providers whose tokens have no `aud` claim (Azure Attestation, Intel Trust Authority):
   * the attested party states it in the runtime data the provider signs. A top-level `aud` always wins.
   */
  audience?: string | readonly string[];
}

/**
 * How to read one provider's claim layout. `extract` runs only on a token whose signature, issuer,
 * audience and validity were already checked; it throws `ATTESTATION_MALFORMED` when a claim it needs is
 * missing or of the wrong type, so a token is never accepted on a guessed default.
 */
export interface ClaimMapping {
  readonly name: string;
  /** The JWS algorithms the provider documents; the verifier's default allow-list. */
  readonly algorithms: readonly string[];
  /** JOSE `typ` the header must carry, when the provider sets a distinctive one. */
  readonly typ?: string;
  extract(claims: Readonly<Record<string, unknown>>): Promise<MappedClaims>;
}
