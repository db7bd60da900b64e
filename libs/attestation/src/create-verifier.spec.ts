import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createVerifier } from './create-verifier.js';
import { InsecureDevAuthority } from './insecure-dev-authority.js';
import { JwksVerifier } from './jwks-verifier.js';
import { attestedKeys } from './fixtures/attested-keys.js';

describe('createVerifier', () => {
  let dir: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cohort-create-verifier-'));
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('builds the insecure-dev plug-in from the authority jwks.json a trust file names', async () => {
    const authority = await InsecureDevAuthority.loadOrCreate(dir);
    const verifier = await createVerifier({ kind: 'insecure-dev', jwksFile: join(dir, 'jwks.json') });
    const nonce = new Uint8Array(16).fill(5);
    const measurement = 'e'.repeat(64);
    const token = await authority.issue(
      { measurement, component: 'agent', nonce, boundKey: attestedKeys().signing },
      'aud',
    );
    await expect(
      verifier.verify(token, {
        audience: 'aud',
        allowedMeasurements: [measurement],
        allowDebug: true,
        expectedNonce: nonce,
      }),
    ).resolves.toMatchObject({ verifier: 'insecure-dev', insecureDev: true });
  });

  it('builds a JWKS plug-in named after its claim mapping', async () => {
    const verifier = await createVerifier({
      kind: 'jwks',
      issuer: 'https://cohort.weu.attest.azure.net',
      jwksUrl: 'https://cohort.weu.attest.azure.net/certs',
      mapping: 'azure',
    });
    expect(verifier).toBeInstanceOf(JwksVerifier);
    expect(verifier.name).toBe('azure-attestation');
  });

  it('ATTESTATION_CONFIG_INVALID for a missing or malformed JWKS file', async () => {
    await expect(
      createVerifier({ kind: 'insecure-dev', jwksFile: join(dir, 'none.json') }),
    ).rejects.toMatchObject({
      code: 'ATTESTATION_CONFIG_INVALID',
    });
    await writeFile(join(dir, 'bad.json'), '{"key": []}');
    await expect(
      createVerifier({ kind: 'insecure-dev', jwksFile: join(dir, 'bad.json') }),
    ).rejects.toMatchObject({
      code: 'ATTESTATION_CONFIG_INVALID',
    });
  });
});
