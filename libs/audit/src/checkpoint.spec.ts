import { createHash, generateKeyPairSync } from 'node:crypto';
import {
  checkpointHash,
  checkpointPayload,
  checkpointSignatureProblem,
  createCheckpoint,
  createCheckpointSigner,
  keyResolver,
  parseAuditCheckpoint,
  type AuditCheckpoint,
} from './checkpoint.js';
import { GENESIS_HASH } from './entry.js';
import { randomKey, rfc8037Key, RFC8037_FINGERPRINT } from './testing/keys.js';

const sha = (text: string) => createHash('sha256').update(text).digest('hex');
const hashes = ['1', '2', '3'].map(sha);
const TIME = '2025-03-01T12:01:00.000Z';
const key = rfc8037Key();
const signer = createCheckpointSigner(key.privateKey);
const trusted = keyResolver([key.publicKey]);

async function first(): Promise<AuditCheckpoint> {
  const checkpoint = await createCheckpoint({
    previous: null,
    head: { seq: 3, hash: hashes[2] },
    hashes,
    time: TIME,
    signer,
  });
  if (!checkpoint) throw new Error('expected a checkpoint');
  return checkpoint;
}

describe('checkpoints', () => {
  it('signs the documented claims exactly as an independent implementation does', async () => {
    // python3 with `cryptography`: the RFC 8037 key signs base64url(header) + '.' + base64url(payload), where
    // header = {"alg":"EdDSA","typ":"cohort-audit-checkpoint+jws","kid":kid}, payload = json.dumps(claims,
    // sort_keys=True, separators=(',',':')) and merkleRoot is RFC 6962 over sha256(b'1'), (b'2'), (b'3').
    const checkpoint = await first();
    expect(checkpoint).toMatchObject({
      seq: 1,
      fromSeq: 1,
      toSeq: 3,
      headHash: hashes[2],
      merkleRoot: '0073e5dfb5d3c6f71fb0dc1db2f096e02a2d6fd6d7a59d23c100b15a8488dac4',
      time: TIME,
      prevCheckpointHash: GENESIS_HASH,
      signer: RFC8037_FINGERPRINT,
    });
    expect(checkpoint.signature).toBe(
      'eyJhbGciOiJFZERTQSIsInR5cCI6ImNvaG9ydC1hdWRpdC1jaGVja3BvaW50K2p3cyIsImtpZCI6IjIxZmUzMWRmYTE1NGEyNjE2MjZiZjg1NDA0NmZkMjI3MWI3YmVkNGI2YWJlNDVhYTU4ODc3ZWY0N2Y5NzIxYjkifQ.' +
        'eyJmb3JtYXQiOiJjb2hvcnQtYXVkaXQtY2hlY2twb2ludC8xIiwiZnJvbVNlcSI6MSwiaGVhZEhhc2giOiI0ZTA3NDA4NTYyYmVkYjhiNjBjZTA1YzFkZWNmZTNhZDE2YjcyMjMwOTY3ZGUwMWY2NDBiN2U0NzI5YjQ5ZmNlIiwibWVya2xlUm9vdCI6IjAwNzNlNWRmYjVkM2M2ZjcxZmIwZGMxZGIyZjA5NmUwMmEyZDZmZDZkN2E1OWQyM2MxMDBiMTVhODQ4OGRhYzQiLCJwcmV2Q2hlY2twb2ludEhhc2giOiIwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwIiwic2VxIjoxLCJzaWduZXIiOiIyMWZlMzFkZmExNTRhMjYxNjI2YmY4NTQwNDZmZDIyNzFiN2JlZDRiNmFiZTQ1YWE1ODg3N2VmNDdmOTcyMWI5IiwidGltZSI6IjIwMjUtMDMtMDFUMTI6MDE6MDAuMDAwWiIsInRvU2VxIjozfQ.' +
        'La2caAtQcMUJEosnGhP-PZOGclJ7Yg7_1RflMmIKFINKa_fC-YQsg8-ZYWycwIOM9OTMRA7ZFkEiz9SI3kmuAg',
    );
    // python3: sha256(payload).hexdigest()
    expect(checkpointHash(checkpoint)).toBe(
      '7dba1395276fac04c7f622d728df010c395faf1698a5cf394c0462223ecc00d6',
    );
    expect(checkpointPayload(checkpoint)).toContain('"format":"cohort-audit-checkpoint/1"');
    expect(await checkpointSignatureProblem(checkpoint, trusted)).toBeNull();
  });

  it('chains the next checkpoint to the previous one and covers only the new entries', async () => {
    const previous = await first();
    const more = ['4', '5'].map(sha);
    const next = await createCheckpoint({
      previous,
      head: { seq: 5, hash: more[1] },
      hashes: more,
      time: TIME,
      signer,
    });
    expect(next).toMatchObject({
      seq: 2,
      fromSeq: 4,
      toSeq: 5,
      prevCheckpointHash: checkpointHash(previous),
    });
    expect(await checkpointSignatureProblem(next!, trusted)).toBeNull();
  });

  it('returns null when no entry is new', async () => {
    const previous = await first();
    expect(
      await createCheckpoint({ previous, head: { seq: 3, hash: hashes[2] }, hashes: [], time: TIME, signer }),
    ).toBeNull();
  });

  it('refuses to sign over a range with a hole or a head that is not the last hash', async () => {
    const base = { previous: null, time: TIME, signer };
    await expect(
      createCheckpoint({ ...base, head: { seq: 3, hash: hashes[2] }, hashes: hashes.slice(0, 2) }),
    ).rejects.toMatchObject({
      code: 'STORE_CORRUPT',
    });
    await expect(
      createCheckpoint({ ...base, head: { seq: 3, hash: hashes[0] }, hashes }),
    ).rejects.toMatchObject({
      code: 'STORE_CORRUPT',
    });
  });

  it.each<[string, Partial<AuditCheckpoint>]>([
    ['seq', { seq: 2 }],
    ['fromSeq', { fromSeq: 2 }],
    ['toSeq', { toSeq: 4 }],
    ['headHash', { headHash: sha('x') }],
    ['merkleRoot', { merkleRoot: sha('x') }],
    ['time', { time: '2025-03-01T12:01:00.001Z' }],
    ['prevCheckpointHash', { prevCheckpointHash: sha('x') }],
  ])('detects a changed %s under an intact signature', async (_field, change) => {
    const checkpoint = { ...(await first()), ...change };
    expect(await checkpointSignatureProblem(checkpoint, trusted)).toMatch(/over different claims/);
  });

  it('refuses a checkpoint signed by an untrusted key, even one naming itself as signer', async () => {
    const mallory = randomKey();
    const forged = await createCheckpoint({
      previous: null,
      head: { seq: 3, hash: hashes[2] },
      hashes,
      time: TIME,
      signer: createCheckpointSigner(mallory.privateKey),
    });
    expect(await checkpointSignatureProblem(forged!, trusted)).toMatch(/not a trusted checkpoint key/);
    // Claiming the trusted signer's kid does not help: the signature then fails under the trusted key.
    const [h, p, s] = forged!.signature.split('.');
    const header = Buffer.from(
      JSON.stringify({ alg: 'EdDSA', typ: 'cohort-audit-checkpoint+jws', kid: RFC8037_FINGERPRINT }),
    ).toString('base64url');
    const payload = JSON.parse(Buffer.from(p, 'base64url').toString()) as Record<string, unknown>;
    payload.signer = RFC8037_FINGERPRINT;
    const relabelled: AuditCheckpoint = {
      ...forged!,
      signer: RFC8037_FINGERPRINT,
      signature: [header, Buffer.from(JSON.stringify(payload)).toString('base64url'), s].join('.'),
    };
    expect(h).not.toBe(header);
    expect(await checkpointSignatureProblem(relabelled, trusted)).toMatch(/does not verify/);
  });

  it('refuses a flipped signature bit, a foreign header and garbage', async () => {
    const checkpoint = await first();
    const [h, p, s] = checkpoint.signature.split('.');
    const bytes = Buffer.from(s, 'base64url');
    bytes[10] ^= 1;
    expect(
      await checkpointSignatureProblem(
        { ...checkpoint, signature: `${h}.${p}.${bytes.toString('base64url')}` },
        trusted,
      ),
    ).toMatch(/does not verify/);
    const withJwk = Buffer.from(
      JSON.stringify({ alg: 'EdDSA', typ: 'cohort-audit-checkpoint+jws', kid: RFC8037_FINGERPRINT, jwk: {} }),
    ).toString('base64url');
    expect(
      await checkpointSignatureProblem({ ...checkpoint, signature: `${withJwk}.${p}.${s}` }, trusted),
    ).toMatch(/unexpected parameters: jwk/);
    expect(await checkpointSignatureProblem({ ...checkpoint, signature: 'not a jws' }, trusted)).toMatch(
      /not a compact JWS/,
    );
    expect(await checkpointSignatureProblem({ ...checkpoint, signer: 'ab'.repeat(32) }, trusted)).toMatch(
      /kid .* is not/,
    );
  });

  it('resolves keys from a map, a list or a function', async () => {
    const checkpoint = await first();
    expect(
      await checkpointSignatureProblem(
        checkpoint,
        keyResolver(new Map([[RFC8037_FINGERPRINT, key.publicKey]])),
      ),
    ).toBeNull();
    expect(
      await checkpointSignatureProblem(
        checkpoint,
        keyResolver(async () => Promise.resolve(key.publicKey)),
      ),
    ).toBeNull();
    expect(await checkpointSignatureProblem(checkpoint, keyResolver(new Map()))).toMatch(/not a trusted/);
    expect(() => keyResolver([generateKeyPairSync('x25519').publicKey])).toThrow(
      expect.objectContaining({ code: 'KEY_INVALID' }),
    );
  });

  it('only signs with an Ed25519 private key', () => {
    expect(() => createCheckpointSigner(key.publicKey)).toThrow(
      expect.objectContaining({ code: 'KEY_INVALID' }),
    );
    expect(() =>
      createCheckpointSigner(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey),
    ).toThrow(expect.objectContaining({ code: 'KEY_INVALID' }));
  });

  it('parses a checkpoint as exported and refuses wrong types', async () => {
    const checkpoint = await first();
    expect(parseAuditCheckpoint(JSON.parse(JSON.stringify(checkpoint)))).toEqual(checkpoint);
    expect(() => parseAuditCheckpoint({ ...checkpoint, toSeq: '3' })).toThrow(
      /toSeq must be a positive integer/,
    );
    expect(() => parseAuditCheckpoint({ ...checkpoint, signature: 1 })).toThrow(/signature must be a string/);
  });
});
