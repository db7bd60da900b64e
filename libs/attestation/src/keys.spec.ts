import { ed25519Jwk, hasPrivateMaterial, thumbprint, x25519Jwk } from './keys.js';

describe('JWK helpers', () => {
  it('computes the RFC 7638 section 3.1 example thumbprint', async () => {
    const rsa = {
      kty: 'RSA',
      n:
        '0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMs' +
        'tn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91' +
        'CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw',
      e: 'AQAB',
      alg: 'RS256',
      kid: '2011-04-29',
    };
    await expect(thumbprint(rsa)).resolves.toBe('NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs');
  });

  it('computes the RFC 8037 appendix A.3 Ed25519 thumbprint, from the raw key', async () => {
    const raw = Buffer.from('d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a', 'hex');
    const jwk = ed25519Jwk(raw);
    expect(jwk).toEqual({ kty: 'OKP', crv: 'Ed25519', x: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo' });
    await expect(thumbprint(jwk)).resolves.toBe('kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k');
  });

  it('builds an X25519 JWK whose thumbprint ignores kid and use', async () => {
    const jwk = x25519Jwk(new Uint8Array(32).fill(7));
    expect(jwk).toEqual({ kty: 'OKP', crv: 'X25519', x: Buffer.alloc(32, 7).toString('base64url') });
    await expect(thumbprint({ ...jwk, kid: 'cohort-hpke', use: 'enc' })).resolves.toBe(await thumbprint(jwk));
  });

  it('refuses raw keys that are not 32 bytes', () => {
    expect(() => x25519Jwk(new Uint8Array(31))).toThrow(
      expect.objectContaining({ code: 'ATTESTATION_EVIDENCE_INVALID' }),
    );
    expect(() => ed25519Jwk(new Uint8Array(33))).toThrow(
      expect.objectContaining({ code: 'ATTESTATION_EVIDENCE_INVALID' }),
    );
  });

  it('recognises private key material', () => {
    expect(hasPrivateMaterial({ kty: 'OKP', crv: 'X25519', x: 'a', d: 'b' })).toBe(true);
    expect(hasPrivateMaterial({ kty: 'oct', k: 'c' })).toBe(true);
    expect(hasPrivateMaterial({ kty: 'OKP', crv: 'X25519', x: 'a' })).toBe(false);
  });
});
