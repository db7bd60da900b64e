import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKeyPairSync } from 'node:crypto';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { COHORT_EAT_PROFILE } from './claims.js';
import {
  INSECURE_DEV_ISSUER,
  INSECURE_DEV_WARNING,
  InsecureDevAuthority,
  type AttestationEvidence,
} from './insecure-dev-authority.js';
import { thumbprint } from './keys.js';
import { attestedKeys } from './fixtures/attested-keys.js';

const MEASUREMENT = 'ab'.repeat(32);

describe('InsecureDevAuthority', () => {
  let dir: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cohort-authority-'));
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('creates its key (mode 0600) and public JWKS once, and loads the same key again', async () => {
    const first = await InsecureDevAuthority.loadOrCreate(join(dir, 'authority'));
    const keyMode = (await stat(join(dir, 'authority', 'authority.key'))).mode & 0o777;
    expect(keyMode).toBe(0o600);
    const onDisk = JSON.parse(await readFile(join(dir, 'authority', 'jwks.json'), 'utf8')) as unknown;
    expect(onDisk).toEqual(first.jwks());
    expect(first.jwks().keys[0]).not.toHaveProperty('d');
    const second = await InsecureDevAuthority.loadOrCreate(join(dir, 'authority'));
    expect(second.jwks()).toEqual(first.jwks());
    expect(first.insecure).toBe(true);
    expect(first.issuer).toBe(INSECURE_DEV_ISSUER);
    expect(INSECURE_DEV_WARNING).toMatch(/INSECURE/);
  });

  it('rewrites a jwks.json that does not match the key', async () => {
    const authority = await InsecureDevAuthority.loadOrCreate(dir);
    await writeFile(join(dir, 'jwks.json'), '{"keys":[]}');
    await InsecureDevAuthority.loadOrCreate(dir);
    expect(JSON.parse(await readFile(join(dir, 'jwks.json'), 'utf8'))).toEqual(authority.jwks());
  });

  it('refuses a key file that is not an Ed25519 private key', async () => {
    await writeFile(join(dir, 'authority.key'), 'not a key');
    await expect(InsecureDevAuthority.loadOrCreate(dir)).rejects.toMatchObject({
      code: 'ATTESTATION_AUTHORITY_KEY_INVALID',
    });
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({
      type: 'pkcs8',
      format: 'pem',
    });
    await writeFile(join(dir, 'authority.key'), rsa);
    await expect(InsecureDevAuthority.loadOrCreate(dir)).rejects.toMatchObject({
      code: 'ATTESTATION_AUTHORITY_KEY_INVALID',
    });
  });

  it('issues an eat+jwt with Cohort claims, marked insecure and debug-enabled', async () => {
    const authority = await InsecureDevAuthority.ephemeral('test-authority');
    const keys = attestedKeys();
    const nonce = new Uint8Array(32).fill(9);
    const token = await authority.issue(
      {
        measurement: MEASUREMENT,
        component: 'cohort-enclave',
        nonce,
        boundKey: keys.hpke,
        extraKeys: { signing: keys.signing },
      },
      'cohort-federation',
      120,
    );
    const header = decodeProtectedHeader(token);
    expect(header).toEqual({ alg: 'EdDSA', typ: 'eat+jwt', kid: authority.jwks().keys[0].kid });
    const claims = decodeJwt(token);
    expect(claims).toMatchObject({
      iss: 'test-authority',
      aud: 'cohort-federation',
      eat_profile: COHORT_EAT_PROFILE,
      eat_nonce: Buffer.from(nonce).toString('base64url'),
      measurements: [{ alg: 'sha-256', digest: MEASUREMENT, component: 'cohort-enclave' }],
      dbgstat: 0,
      cnf: { jkt: await thumbprint(keys.hpke) },
      cohort_keys: { signing_jkt: await thumbprint(keys.signing) },
      cohort_insecure_dev: true,
    });
    expect(claims.exp! - claims.iat!).toBe(120);
    expect(typeof claims.jti).toBe('string');
  });

  it('refuses evidence that is malformed or carries private keys', async () => {
    const authority = await InsecureDevAuthority.ephemeral();
    const keys = attestedKeys();
    const good = {
      measurement: MEASUREMENT,
      component: 'cohort-enclave',
      nonce: new Uint8Array(16),
      boundKey: keys.hpke,
    };
    const cases: AttestationEvidence[] = [
      { ...good, measurement: 'AB'.repeat(32) },
      { ...good, component: '' },
      { ...good, nonce: new Uint8Array(7) },
      { ...good, nonce: new Uint8Array(65) },
      { ...good, boundKey: { ...keys.hpke, d: 'secret' } },
      { ...good, extraKeys: { signing: { ...keys.signing, d: 'secret' } } },
      { ...good, extraKeys: { Signing_Key: keys.signing } },
    ];
    for (const evidence of cases) {
      await expect(authority.issue(evidence, 'aud')).rejects.toMatchObject({
        code: 'ATTESTATION_EVIDENCE_INVALID',
      });
    }
    await expect(authority.issue(good, 'aud', 0)).rejects.toMatchObject({
      code: 'ATTESTATION_EVIDENCE_INVALID',
    });
    await expect(authority.issue(good, '')).rejects.toMatchObject({ code: 'ATTESTATION_EVIDENCE_INVALID' });
  });
});
