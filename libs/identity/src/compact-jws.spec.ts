import { CompactSign, compactVerify } from 'jose';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
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
      ['a header that is a JSON array', `${b64('["alg"]')}.${digest.toString('base64url')}.AAAA`],
      ['a header that is a JSON string', `${b64('"EdDSA"')}.${digest.toString('base64url')}.AAAA`],
      ['a header that is null', `${b64('null')}.${digest.toString('base64url')}.AAAA`],
      [
        'a header that is not UTF-8',
        `${Buffer.concat([Buffer.from('{"alg":"EdDSA","typ":"'), Buffer.from([0xff]), Buffer.from('"}')]).toString('base64url')}.${digest.toString('base64url')}.AAAA`,
      ],
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

  describe('refuses a second spelling of a valid statement as SIGNATURE_MALFORMED', () => {
    // Base64url's last character may carry spare bits that decoders drop; a statement has one spelling only.
    it.each([
      ['header', 0],
      ['payload', 1],
      ['signature', 2],
    ])('non-zero spare bits in the %s', async (_part, index) => {
      const jws = await signCompactJws(identity.privateKey, { typ: TYP, kid: RFC8037_FINGERPRINT }, digest);
      const segments = jws.split('.');
      const respelled = withSpareBit(segments[index]);
      expect(Buffer.from(respelled, 'base64url').equals(Buffer.from(segments[index], 'base64url'))).toBe(
        true,
      );
      segments[index] = respelled;
      expect(await code()(segments.join('.'))).toBe('SIGNATURE_MALFORMED');
    });

    it('a signature of 4k+1 characters', async () => {
      const jws = await signCompactJws(identity.privateKey, { typ: TYP, kid: RFC8037_FINGERPRINT }, digest);
      expect(await code()(`${jws}AAA`)).toBe('SIGNATURE_MALFORMED');
    });
  });

  describe('refuses as SIGNATURE_INVALID', () => {
    it.each([63, 65, 3])('a signature of %i bytes (as jose did)', async (length) => {
      const jws = await signCompactJws(identity.privateKey, { typ: TYP, kid: RFC8037_FINGERPRINT }, digest);
      const [header, payload, signature] = jws.split('.');
      const resized = Buffer.alloc(length);
      Buffer.from(signature, 'base64url').copy(resized);
      expect(await code()(`${header}.${payload}.${resized.toString('base64url')}`)).toBe('SIGNATURE_INVALID');
    });

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

describe('interoperability with jose (the compact JWS library this path replaced)', () => {
  const cases = Array.from({ length: 8 }, () => ({ signer: randomIdentity(), payload: randomBytes(32) }));

  it.each(cases.map((c, i) => [i, c] as const))(
    'statement %i: ours and jose sign to the same string, and each verifies the other',
    async (_i, { signer, payload }) => {
      const header = { typ: TYP, kid: signer.fingerprint };
      const ours = await signCompactJws(signer.privateKey, header, payload);
      const theirs = await new CompactSign(payload)
        .setProtectedHeader({ alg: 'EdDSA', ...header })
        .sign(signer.privateKey);
      expect(ours).toBe(theirs);
      const verified = await compactVerify(ours, signer.publicKey, { algorithms: ['EdDSA'] });
      expect(Buffer.from(verified.payload).equals(payload)).toBe(true);
      expect(Object.keys(verified.protectedHeader)).toEqual(['alg', 'typ', 'kid']);
      expect(await code(TYP, payload, signer.publicKey)(theirs)).toBeUndefined();
    },
  );

  it('signs and verifies on the calling thread, within one event-loop turn; jose waits for the thread pool', async () => {
    const header = { typ: TYP, kid: RFC8037_FINGERPRINT };
    const ours = async (): Promise<void> => {
      const jws = await signCompactJws(identity.privateKey, header, digest);
      await verifyStatementJws(jws, identity.publicKey, TYP, digest);
    };
    expect(await settlesInOneTurn(ours)).toBe(true);
    // The check can fail: jose's WebCrypto sign and verify are thread-pool jobs.
    expect(await settlesInOneTurn(() => signRaw(header))).toBe(false);
    const jws = await signRaw(header);
    expect(
      await settlesInOneTurn(() => compactVerify(jws, identity.publicKey, { algorithms: ['EdDSA'] })),
    ).toBe(false);
  });

  it('a jose signature by another key is refused by ours, and ours by another key is refused by jose', async () => {
    const other = randomIdentity();
    const theirs = await new CompactSign(digest)
      .setProtectedHeader({ alg: 'EdDSA', typ: TYP, kid: RFC8037_FINGERPRINT })
      .sign(other.privateKey);
    expect(await code()(theirs)).toBe('SIGNATURE_INVALID');
    const ours = await signCompactJws(other.privateKey, { typ: TYP, kid: RFC8037_FINGERPRINT }, digest);
    await expect(compactVerify(ours, identity.publicKey, { algorithms: ['EdDSA'] })).rejects.toMatchObject({
      code: 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED',
    });
  });
});

/**
 * Whether `run` settles before the event loop turns. A thread-pool job can only report back from the loop's poll
 * phase, after which a setImmediate callback runs, so work that waits for the pool never settles in one turn.
 */
async function settlesInOneTurn(run: () => Promise<unknown>): Promise<boolean> {
  let turned = false;
  const immediate = setImmediate(() => {
    turned = true;
  });
  try {
    await run();
  } finally {
    clearImmediate(immediate);
  }
  return !turned;
}

function b64(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64url');
}

/** The same bytes spelled with one spare bit set in the last character. */
function withSpareBit(segment: string): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  const spareBits = (segment.length * 6) % 8;
  if (spareBits === 0) throw new Error('this segment has no spare bits; pick a header of another length');
  const last = alphabet.indexOf(segment[segment.length - 1]);
  return segment.slice(0, -1) + alphabet[last | 1];
}
