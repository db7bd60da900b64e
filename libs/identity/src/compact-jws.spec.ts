import { CompactSign, compactVerify } from 'jose';
import { generateKeyPairSync } from 'node:crypto';
import { signCompactJws, verifyStatementJws } from './compact-jws.js';
import { publicKeyFromRaw } from './identity-key.js';
import {
  flipSignatureBit,
  randomIdentity,
  RFC8037_FINGERPRINT,
  RFC8037_JWS,
  RFC8037_PAYLOAD,
  RFC8037_PRIVATE_JWK,
  rfc8037Identity,
} from './testing/rfc8037.js';

const TYP = 'cohort-test+jws';
const digest = Buffer.alloc(32, 7);
const identity = rfc8037Identity();

function code(typ = TYP, expected: Uint8Array = digest, key = identity.publicKey) {
  return async (jws: string): Promise<string | undefined> => {
    try {
      await verifyStatementJws(jws, key, typ, expected);
      return undefined;
    } catch (error) {
      return (error as { code?: string }).code;
    }
  };
}

/** Signs an arbitrary header with the RFC 8037 key, bypassing the library's own header. */
async function signRaw(header: Record<string, unknown>, payload: Uint8Array = digest): Promise<string> {
  return new CompactSign(payload).setProtectedHeader({ alg: 'EdDSA', ...header }).sign(identity.privateKey);
}

describe('compact JWS with EdDSA', () => {
  it('reproduces RFC 8037 A.4 byte for byte (Ed25519 is deterministic)', async () => {
    const jws = await signCompactJws(identity.privateKey, {}, Buffer.from(RFC8037_PAYLOAD, 'utf8'));
    expect(jws).toBe(RFC8037_JWS);
  });

  it('verifies RFC 8037 A.4 under the A.2 public key rebuilt from its raw bytes', async () => {
    const key = publicKeyFromRaw(Buffer.from(RFC8037_PRIVATE_JWK.x, 'base64url'));
    const { payload } = await compactVerify(RFC8037_JWS, key, { algorithms: ['EdDSA'] });
    expect(Buffer.from(payload).toString('utf8')).toBe(RFC8037_PAYLOAD);
  });

  it('accepts its own statement', async () => {
    const jws = await signCompactJws(identity.privateKey, { typ: TYP, kid: RFC8037_FINGERPRINT }, digest);
    expect(await code()(jws)).toBeUndefined();
  });

  describe('refuses as SIGNATURE_MALFORMED', () => {
    it.each([
      ['an empty string', ''],
      ['two segments', 'eyJhbGciOiJFZERTQSJ9.AAAA'],
      ['four segments', 'a.b.c.d'],
      ['an empty signature', 'eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc.'],
      ['non-base64url characters', 'eyJhbGciOiJFZERTQSJ9.RXhh+mBsZSBvZiBFZDI1NTE5IHNpZ25pbmc.aGk='],
      ['a JWT-sized blob', `${'a'.repeat(3000)}.b.c`],
      ['a header that is not JSON', `bm90IGpzb24.${Buffer.alloc(32).toString('base64url')}.AAAA`],
    ])('%s', async (_what, jws) => {
      expect(await code()(jws)).toBe('SIGNATURE_MALFORMED');
    });

    it('a value that is not a string', async () => {
      expect(await code()(42 as unknown as string)).toBe('SIGNATURE_MALFORMED');
    });

    it('the RFC 8037 JWS itself (no typ, no kid, payload not a digest)', async () => {
      expect(await code()(RFC8037_JWS)).toBe('SIGNATURE_MALFORMED');
    });

    it('another typ', async () => {
      expect(await code()(await signRaw({ typ: 'cohort-other+jws', kid: RFC8037_FINGERPRINT }))).toBe(
        'SIGNATURE_MALFORMED',
      );
    });

    it('another alg', async () => {
      const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const jws = await new CompactSign(digest)
        .setProtectedHeader({ alg: 'ES256', typ: TYP, kid: RFC8037_FINGERPRINT })
        .sign(privateKey);
      expect(await code()(jws)).toBe('SIGNATURE_MALFORMED');
    });

    it('alg none', async () => {
      const header = Buffer.from(JSON.stringify({ alg: 'none', typ: TYP, kid: RFC8037_FINGERPRINT }));
      const jws = `${header.toString('base64url')}.${digest.toString('base64url')}.AAAA`;
      expect(await code()(jws)).toBe('SIGNATURE_MALFORMED');
    });

    it('a missing kid', async () => {
      expect(await code()(await signRaw({ typ: TYP }))).toBe('SIGNATURE_MALFORMED');
    });

    it('an extra header parameter (an embedded jwk)', async () => {
      const jws = await signRaw({ typ: TYP, kid: RFC8037_FINGERPRINT, jwk: { kty: 'OKP' } });
      expect(await code()(jws)).toBe('SIGNATURE_MALFORMED');
    });

    it('a payload that is not 32 bytes', async () => {
      const jws = await signRaw({ typ: TYP, kid: RFC8037_FINGERPRINT }, Buffer.alloc(33, 7));
      expect(await code()(jws)).toBe('SIGNATURE_MALFORMED');
    });
  });

  describe('refuses as SIGNATURE_INVALID', () => {
    it('a flipped signature bit', async () => {
      const jws = await signCompactJws(identity.privateKey, { typ: TYP, kid: RFC8037_FINGERPRINT }, digest);
      expect(await code()(flipSignatureBit(jws))).toBe('SIGNATURE_INVALID');
    });

    it('a payload altered after signing', async () => {
      const jws = await signCompactJws(identity.privateKey, { typ: TYP, kid: RFC8037_FINGERPRINT }, digest);
      const [header, , signature] = jws.split('.');
      const forged = `${header}.${Buffer.alloc(32, 8).toString('base64url')}.${signature}`;
      expect(await code(TYP, Buffer.alloc(32, 8))(forged)).toBe('SIGNATURE_INVALID');
    });

    it('another key, whichever kid it names', async () => {
      const other = randomIdentity();
      const honest = await signCompactJws(other.privateKey, { typ: TYP, kid: other.fingerprint }, digest);
      const impostor = await signCompactJws(other.privateKey, { typ: TYP, kid: RFC8037_FINGERPRINT }, digest);
      expect(await code()(honest)).toBe('SIGNATURE_INVALID');
      expect(await code()(impostor)).toBe('SIGNATURE_INVALID');
    });
  });

  it('refuses a valid signature over another digest as SIGNATURE_MISMATCH', async () => {
    const jws = await signCompactJws(identity.privateKey, { typ: TYP, kid: RFC8037_FINGERPRINT }, digest);
    expect(await code(TYP, Buffer.alloc(32, 8))(jws)).toBe('SIGNATURE_MISMATCH');
  });

  it('refuses keys that are not Ed25519 as IDENTITY_KEY_INVALID', async () => {
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    await expect(signCompactJws(ec.privateKey, { typ: TYP }, digest)).rejects.toMatchObject({
      code: 'IDENTITY_KEY_INVALID',
    });
    const jws = await signCompactJws(identity.privateKey, { typ: TYP, kid: RFC8037_FINGERPRINT }, digest);
    expect(await code(TYP, digest, ec.publicKey)(jws)).toBe('IDENTITY_KEY_INVALID');
  });
});
