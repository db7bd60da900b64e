import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { from } from 'rxjs';
import { SignJWT, importPKCS8 } from 'jose';
import {
  COHORT_EAT_PROFILE,
  COHORT_EAT_TYP,
  INSECURE_DEV_ISSUER,
  InsecureDevAuthority,
  ed25519Jwk,
  insecureDevVerifier,
  thumbprint,
  x25519Jwk,
} from '@cohort/attestation';
import type {
  EnclaveAttestation,
  FederationServiceClient,
  GetEnclaveAttestationRequest,
} from '@cohort/protocol';
import { generateSealingKeyPair } from '@cohort/sealing';
import type { SiloConfig } from '../config.js';
import { EnclaveRefused, EnclaveTrust } from './enclave-trust.service.js';

const MEASUREMENT = 'c0'.repeat(32);
const AUDIENCE = 'cohort-federation';

/** What the enclave presents, and how the token for a silo's nonce is made (a test changes one thing). */
interface FakeEnclave {
  hpkePublicKey: Uint8Array;
  signingPublicKey: Uint8Array;
  token: (nonce: Uint8Array) => Promise<string>;
}

function rawEd25519(): Uint8Array {
  const jwk = generateKeyPairSync('ed25519').publicKey.export({ format: 'jwk' });
  return Buffer.from(jwk.x!, 'base64url');
}

describe('EnclaveTrust: the silo checks the enclave before sealing anything to it', () => {
  let dir: string;
  let authority: InsecureDevAuthority;
  let hpkePublicKey: Uint8Array;
  let signingPublicKey: Uint8Array;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'enclave-trust-'));
    authority = await InsecureDevAuthority.loadOrCreate(dir);
    hpkePublicKey = (await generateSealingKeyPair()).publicKeyRaw;
    signingPublicKey = rawEd25519();
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** A token as the enclave's authority issues it: for this nonce, binding both enclave keys. */
  function genuine(
    nonce: Uint8Array,
    over: { measurement?: string; hpke?: Uint8Array; signing?: Uint8Array; by?: InsecureDevAuthority } = {},
  ): Promise<string> {
    return (over.by ?? authority).issue(
      {
        measurement: over.measurement ?? MEASUREMENT,
        component: 'cohort-aggregation-enclave',
        nonce,
        boundKey: x25519Jwk(over.hpke ?? hpkePublicKey),
        extraKeys: { signing: ed25519Jwk(over.signing ?? signingPublicKey) },
      },
      AUDIENCE,
    );
  }

  /** The same claims, signed with the authority's own key, but issued two hours ago and expired one hour ago. */
  async function expired(nonce: Uint8Array): Promise<string> {
    const key = await importPKCS8(await readFile(join(dir, 'authority.key'), 'utf8'), 'EdDSA');
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({
      iss: INSECURE_DEV_ISSUER,
      aud: AUDIENCE,
      iat: now - 7200,
      exp: now - 3600,
      eat_nonce: Buffer.from(nonce).toString('base64url'),
      eat_profile: COHORT_EAT_PROFILE,
      measurements: [{ alg: 'sha-256', digest: MEASUREMENT, component: 'cohort-aggregation-enclave' }],
      dbgstat: 0,
      cnf: { jkt: await thumbprint(x25519Jwk(hpkePublicKey)) },
      cohort_keys: { signing_jkt: await thumbprint(ed25519Jwk(signingPublicKey)) },
      cohort_insecure_dev: true,
    })
      .setProtectedHeader({ alg: 'EdDSA', typ: COHORT_EAT_TYP, kid: authority.jwks().keys[0].kid })
      .sign(key);
  }

  function trustWith(enclave: Partial<FakeEnclave>, policy: { allowDebug?: boolean } = {}) {
    const requests: GetEnclaveAttestationRequest[] = [];
    const log = { lines: [] as { level: string; fields: any; msg: string }[] } as any;
    for (const level of ['info', 'warn', 'error'])
      log[level] = (fields: any, msg: string) => log.lines.push({ level, fields, msg });
    const recorded: [string, string, Record<string, unknown>][] = [];
    const audit = {
      record: (...entry: [string, string, Record<string, unknown>]) => {
        recorded.push(entry);
        return Promise.resolve();
      },
    } as any;
    const federation = {
      getEnclaveAttestation: (request: GetEnclaveAttestationRequest) => {
        requests.push(request);
        const reply = (async (): Promise<EnclaveAttestation> => ({
          token: await (enclave.token ?? ((n: Uint8Array) => genuine(n)))(request.nonce),
          hpkePublicKey: enclave.hpkePublicKey ?? hpkePublicKey,
          signingPublicKey: enclave.signingPublicKey ?? signingPublicKey,
          verifier: 'insecure-dev',
        }))();
        return from(reply);
      },
    } as unknown as FederationServiceClient;
    const trust = new EnclaveTrust(
      { siloId: 'cleveland' } as SiloConfig,
      {
        audience: AUDIENCE,
        policy: {
          verifier: { kind: 'insecure-dev', jwksFile: join(dir, 'jwks.json') },
          measurements: [MEASUREMENT],
          allowDebug: policy.allowDebug ?? true,
        },
        verifier: insecureDevVerifier(authority.jwks()),
      },
      federation,
      log,
      audit,
    );
    return { trust, requests, log, audit: recorded };
  }

  it('accepts a fresh token for its own nonce that binds the presented keys, and audits it', async () => {
    const { trust, requests, log, audit } = trustWith({});
    const enclave = await trust.verifyFor('job-1', 1);
    expect(audit).toEqual([
      [
        'attestation.verified',
        'job:job-1',
        expect.objectContaining({ jobId: 'job-1', round: 1, component: 'enclave', measurement: MEASUREMENT }),
      ],
    ]);
    expect(enclave.measurement).toBe(MEASUREMENT);
    expect(Buffer.from(enclave.hpkePublicKey).equals(Buffer.from(hpkePublicKey))).toBe(true);
    expect(requests).toHaveLength(1);
    expect(requests[0]).toMatchObject({ siloId: 'cleveland', jobId: 'job-1', round: 1 });
    expect(requests[0].nonce).toHaveLength(32);
    expect(log.lines).toEqual([
      {
        level: 'info',
        fields: expect.objectContaining({
          audit: true,
          jobId: 'job-1',
          measurement: MEASUREMENT,
          insecureDev: true,
        }),
        msg: expect.stringContaining('enclave attestation verified'),
      },
    ]);
    // Reused for the job's next round; asked again (a new nonce) once forgotten.
    await trust.verifyFor('job-1', 2);
    expect(requests).toHaveLength(1);
    trust.forget();
    await trust.verifyFor('job-1', 3);
    expect(requests).toHaveLength(2);
    expect(Buffer.from(requests[1].nonce).equals(Buffer.from(requests[0].nonce))).toBe(false);
  });

  const refusals: [string, string, () => ReturnType<typeof trustWith>][] = [
    ['an expired token', 'ATTESTATION_EXPIRED', () => trustWith({ token: expired })],
    [
      'a token from an unknown issuer',
      'ATTESTATION_ISSUER',
      () =>
        trustWith({
          token: async (n) => genuine(n, { by: await InsecureDevAuthority.ephemeral('another-authority') }),
        }),
    ],
    [
      "the issuer's name signed with a key that is not pinned",
      'ATTESTATION_SIGNATURE',
      () => trustWith({ token: async (n) => genuine(n, { by: await InsecureDevAuthority.ephemeral() }) }),
    ],
    [
      'a measurement not on the allow-list',
      'ATTESTATION_MEASUREMENT',
      () => trustWith({ token: (n) => genuine(n, { measurement: 'd1'.repeat(32) }) }),
    ],
    ['debug status refused by policy', 'ATTESTATION_DEBUG', () => trustWith({}, { allowDebug: false })],
    [
      'a token for another nonce',
      'ATTESTATION_NONCE',
      () => trustWith({ token: () => genuine(randomBytes(32)) }),
    ],
    // The token binds the enclave's key, but the host presents another one to seal to (a host in the middle).
    [
      'an HPKE key that is not the bound one',
      'ATTESTATION_KEY_BINDING',
      () => trustWith({ hpkePublicKey: randomBytes(32) }),
    ],
    [
      'a receipt-signing key that is not the bound one',
      'ATTESTATION_KEY_BINDING',
      () => trustWith({ signingPublicKey: rawEd25519() }),
    ],
    [
      'a token that is not a JWS',
      'ATTESTATION_MALFORMED',
      () => trustWith({ token: () => Promise.resolve('not-a-token') }),
    ],
  ];

  it.each(refusals)(
    'refuses %s (%s): EnclaveRefused, audited, nothing remembered',
    async (_what, code, make) => {
      const { trust, requests, log } = make();
      const refused = await trust.verifyFor('job-2', 1).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(EnclaveRefused);
      expect(refused).toMatchObject({ code });
      expect((refused as Error).message).toContain(`(${code})`);
      expect(log.lines).toEqual([
        {
          level: 'warn',
          fields: expect.objectContaining({ audit: true, jobId: 'job-2', round: 1, code }),
          msg: 'enclave attestation refused',
        },
      ]);
      // A refusal is not cached: the next round asks again.
      await trust.verifyFor('job-2', 2).catch(() => undefined);
      expect(requests).toHaveLength(2);
    },
  );
});
