import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { JSONWebKeySet } from 'jose';
import { COHORT_EAT_PROFILE } from './claims.js';
import { InsecureDevAuthority } from './insecure-dev-authority.js';
import { insecureDevVerifier } from './insecure-dev-verifier.js';
import { JwksVerifier } from './jwks-verifier.js';
import { thumbprint, x25519Jwk } from './keys.js';
import { cohortEatMapping } from './mappings/cohort-eat.js';
import { assertKeyBinding, type AttestationPolicy } from './verifier.js';
import { attestedKeys, type AttestedKeys } from './fixtures/attested-keys.js';
import { createProviderSigner, nowSeconds, type ProviderSigner } from './fixtures/provider-signer.js';

const MEASUREMENT = 'c0ffee'.padEnd(64, '0');
const AUDIENCE = 'cohort-federation';
const ISSUER = 'cohort-insecure-dev-authority';

describe('JwksVerifier with the insecure-dev authority', () => {
  let authority: InsecureDevAuthority;
  let keys: AttestedKeys;
  let nonce: Uint8Array;
  let token: string;
  let policy: AttestationPolicy;

  beforeAll(async () => {
    authority = await InsecureDevAuthority.ephemeral();
    keys = attestedKeys();
    nonce = new Uint8Array(32).map((_, i) => i);
    token = await authority.issue(
      {
        measurement: MEASUREMENT,
        component: 'cohort-enclave',
        nonce,
        boundKey: keys.hpke,
        extraKeys: { signing: keys.signing },
      },
      AUDIENCE,
    );
    policy = {
      audience: AUDIENCE,
      allowedMeasurements: [MEASUREMENT],
      allowDebug: true,
      expectedNonce: nonce,
    };
  });

  it('accepts a token that satisfies the policy and reports what it binds', async () => {
    const verified = await insecureDevVerifier(authority.jwks()).verify(token, policy);
    expect(verified).toMatchObject({
      verifier: 'insecure-dev',
      issuer: ISSUER,
      measurement: MEASUREMENT,
      dbgstat: 0,
      nonce: Buffer.from(nonce).toString('base64url'),
      keyThumbprint: await thumbprint(keys.hpke),
      extraKeyThumbprints: { signing: await thumbprint(keys.signing) },
      insecureDev: true,
    });
    expect(verified.claims['eat_profile']).toBe(COHORT_EAT_PROFILE);
    await expect(assertKeyBinding(verified, keys.hpke)).resolves.toBeUndefined();
    await expect(assertKeyBinding(verified, keys.signing, 'signing')).resolves.toBeUndefined();
  });

  it('matches measurements case-insensitively', async () => {
    const upper = { ...policy, allowedMeasurements: [MEASUREMENT.toUpperCase()] };
    await expect(insecureDevVerifier(authority.jwks()).verify(token, upper)).resolves.toMatchObject({
      measurement: MEASUREMENT,
    });
  });

  it('ATTESTATION_MALFORMED: not a JWS, or a header that is not JSON', async () => {
    const verifier = insecureDevVerifier(authority.jwks());
    await expect(verifier.verify('not-a-token', policy)).rejects.toMatchObject({
      code: 'ATTESTATION_MALFORMED',
    });
    await expect(verifier.verify('e30.bm9wZQ.c2ln', policy)).rejects.toMatchObject({
      code: 'ATTESTATION_MALFORMED',
    });
    await expect(verifier.verify('!!.!!.!!', policy)).rejects.toMatchObject({
      code: 'ATTESTATION_MALFORMED',
    });
  });

  it('ATTESTATION_SIGNATURE: a key that is not pinned, even under the right issuer name', async () => {
    const impostor = await InsecureDevAuthority.ephemeral();
    const forged = await impostor.issue(
      { measurement: MEASUREMENT, component: 'cohort-enclave', nonce, boundKey: attestedKeys().hpke },
      AUDIENCE,
    );
    await expect(insecureDevVerifier(authority.jwks()).verify(forged, policy)).rejects.toMatchObject({
      code: 'ATTESTATION_SIGNATURE',
    });
  });

  it('ATTESTATION_SIGNATURE: a payload changed after signing', async () => {
    const [header, payload, signature] = token.split('.');
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>;
    claims['cnf'] = { jkt: await thumbprint(attestedKeys().hpke) };
    const tampered = [header, Buffer.from(JSON.stringify(claims)).toString('base64url'), signature].join('.');
    await expect(insecureDevVerifier(authority.jwks()).verify(tampered, policy)).rejects.toMatchObject({
      code: 'ATTESTATION_SIGNATURE',
    });
  });

  it('ATTESTATION_SIGNATURE: an unsigned token (alg none)', async () => {
    const [, payload] = token.split('.');
    const header = Buffer.from(JSON.stringify({ alg: 'none', typ: 'eat+jwt' })).toString('base64url');
    await expect(
      insecureDevVerifier(authority.jwks()).verify(`${header}.${payload}.`, policy),
    ).rejects.toMatchObject({
      code: 'ATTESTATION_SIGNATURE',
    });
  });

  it('ATTESTATION_ISSUER: a token from an issuer the verifier does not know, named in the message', async () => {
    const other = await InsecureDevAuthority.ephemeral('https://rogue.example');
    const foreign = await other.issue(
      { measurement: MEASUREMENT, component: 'c', nonce, boundKey: keys.hpke },
      AUDIENCE,
    );
    const error = await insecureDevVerifier(authority.jwks())
      .verify(foreign, policy)
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'ATTESTATION_ISSUER' });
    expect((error as Error).message).toContain('https://rogue.example');
  });

  it('ATTESTATION_AUDIENCE: a token for another relying party', async () => {
    const elsewhere = await authority.issue(
      { measurement: MEASUREMENT, component: 'c', nonce, boundKey: keys.hpke },
      'another-federation',
    );
    await expect(insecureDevVerifier(authority.jwks()).verify(elsewhere, policy)).rejects.toMatchObject({
      code: 'ATTESTATION_AUDIENCE',
    });
  });

  it('ATTESTATION_EXPIRED: after exp, beyond maxAgeSeconds, or issued in the future', async () => {
    const at = (offsetSeconds: number) =>
      new JwksVerifier({
        name: 'insecure-dev',
        issuer: ISSUER,
        jwks: authority.jwks(),
        claimMapping: cohortEatMapping,
        clock: () => Date.now() + offsetSeconds * 1000,
      });
    await expect(at(0).verify(token, policy)).resolves.toBeDefined();
    await expect(at(300 + 31).verify(token, policy)).rejects.toMatchObject({ code: 'ATTESTATION_EXPIRED' });
    await expect(at(120).verify(token, { ...policy, maxAgeSeconds: 60 })).rejects.toMatchObject({
      code: 'ATTESTATION_EXPIRED',
    });
    await expect(at(-120).verify(token, policy)).rejects.toMatchObject({ code: 'ATTESTATION_EXPIRED' });
    // Within the default 30 s tolerance either way.
    await expect(at(-20).verify(token, policy)).resolves.toBeDefined();
  });

  it('ATTESTATION_NONCE: a token that answers another challenge', async () => {
    const other = { ...policy, expectedNonce: new Uint8Array(32).fill(1) };
    await expect(insecureDevVerifier(authority.jwks()).verify(token, other)).rejects.toMatchObject({
      code: 'ATTESTATION_NONCE',
    });
  });

  it('ATTESTATION_MEASUREMENT: code not on the allow-list, named in the message', async () => {
    const strict = { ...policy, allowedMeasurements: ['1'.repeat(64)] };
    const error = await insecureDevVerifier(authority.jwks())
      .verify(token, strict)
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'ATTESTATION_MEASUREMENT' });
    expect((error as Error).message).toContain(MEASUREMENT);
    await expect(
      insecureDevVerifier(authority.jwks()).verify(token, { ...policy, allowedMeasurements: [] }),
    ).rejects.toMatchObject({ code: 'ATTESTATION_MEASUREMENT' });
  });

  it('ATTESTATION_DEBUG: the dev authority never passes a production debug policy', async () => {
    await expect(
      insecureDevVerifier(authority.jwks()).verify(token, { ...policy, allowDebug: false }),
    ).rejects.toMatchObject({ code: 'ATTESTATION_DEBUG' });
  });

  it('ATTESTATION_KEY_BINDING: a key other than the bound one', async () => {
    const verified = await insecureDevVerifier(authority.jwks()).verify(token, policy);
    await expect(assertKeyBinding(verified, x25519Jwk(new Uint8Array(32).fill(3)))).rejects.toMatchObject({
      code: 'ATTESTATION_KEY_BINDING',
    });
    await expect(assertKeyBinding(verified, keys.hpke, 'signing')).rejects.toMatchObject({
      code: 'ATTESTATION_KEY_BINDING',
    });
    await expect(assertKeyBinding(verified, keys.signing, 'receipts')).rejects.toMatchObject({
      code: 'ATTESTATION_KEY_BINDING',
    });
    await expect(
      assertKeyBinding({ ...verified, keyThumbprint: undefined }, keys.hpke),
    ).rejects.toMatchObject({
      code: 'ATTESTATION_KEY_BINDING',
    });
  });

  it('marks a dev-authority token as insecure even through a verifier not configured as such', async () => {
    const plain = new JwksVerifier({
      name: 'plain',
      issuer: ISSUER,
      jwks: authority.jwks(),
      claimMapping: cohortEatMapping,
    });
    await expect(plain.verify(token, policy)).resolves.toMatchObject({
      verifier: 'plain',
      insecureDev: true,
    });
  });
});

describe('JwksVerifier with a provider key', () => {
  let signer: ProviderSigner;
  let keys: AttestedKeys;

  const cohortClaims = async (overrides: Record<string, unknown> = {}): Promise<Record<string, unknown>> => ({
    iss: 'https://attest.example',
    aud: AUDIENCE,
    iat: nowSeconds(),
    exp: nowSeconds() + 300,
    eat_nonce: 'bm9uY2Utbm9uY2Utbm9uY2U',
    eat_profile: COHORT_EAT_PROFILE,
    measurements: [{ alg: 'sha-256', digest: MEASUREMENT, component: 'cohort-silo-agent' }],
    dbgstat: 'disabled-since-boot',
    cnf: { jkt: await thumbprint(keys.hpke) },
    ...overrides,
  });
  const policy: AttestationPolicy = {
    audience: AUDIENCE,
    allowedMeasurements: [MEASUREMENT],
    allowDebug: false,
  };

  beforeAll(async () => {
    signer = await createProviderSigner('ES256');
    keys = attestedKeys();
  });

  const verifier = (jwks: JSONWebKeySet | URL = signer.jwks) =>
    new JwksVerifier({
      name: 'attest-example',
      issuer: 'https://attest.example',
      jwks,
      claimMapping: cohortEatMapping,
    });

  it('reads the JSON text form of dbgstat and passes a production debug policy', async () => {
    const token = await signer.sign(await cohortClaims(), { typ: 'eat+jwt' });
    await expect(verifier().verify(token, policy)).resolves.toMatchObject({ dbgstat: 2, insecureDev: false });
  });

  it('ATTESTATION_MALFORMED: claims that are not Cohort EAT, or the wrong typ', async () => {
    const noMeasurement = await signer.sign(await cohortClaims({ measurements: [] }), { typ: 'eat+jwt' });
    await expect(verifier().verify(noMeasurement, policy)).rejects.toMatchObject({
      code: 'ATTESTATION_MALFORMED',
    });
    const badDebug = await signer.sign(await cohortClaims({ dbgstat: 'sometimes' }), { typ: 'eat+jwt' });
    await expect(verifier().verify(badDebug, policy)).rejects.toMatchObject({
      code: 'ATTESTATION_MALFORMED',
    });
    const noExp = await signer.sign(await cohortClaims({ exp: undefined }), { typ: 'eat+jwt' });
    await expect(verifier().verify(noExp, policy)).rejects.toMatchObject({ code: 'ATTESTATION_MALFORMED' });
    const plainJwt = await signer.sign(await cohortClaims(), { typ: 'JWT' });
    await expect(verifier().verify(plainJwt, policy)).rejects.toMatchObject({
      code: 'ATTESTATION_MALFORMED',
    });
  });

  it('accepts "application/eat+jwt" as the same typ', async () => {
    const token = await signer.sign(await cohortClaims(), { typ: 'application/eat+jwt' });
    await expect(verifier().verify(token, policy)).resolves.toBeDefined();
  });

  it('ATTESTATION_NONCE: the policy expects a nonce the token does not carry', async () => {
    const token = await signer.sign(await cohortClaims(), { typ: 'eat+jwt' });
    await expect(
      verifier().verify(token, { ...policy, expectedNonce: new Uint8Array(16) }),
    ).rejects.toMatchObject({
      code: 'ATTESTATION_NONCE',
    });
  });

  it('tries every key when several match and the token names none', async () => {
    const other = await createProviderSigner('ES256');
    const unnamed = { keys: [...other.jwks.keys, ...signer.jwks.keys].map(({ kid: _kid, ...key }) => key) };
    const token = await signer.sign(await cohortClaims(), { typ: 'eat+jwt', kid: undefined });
    await expect(verifier(unnamed).verify(token, policy)).resolves.toBeDefined();
    const stranger = await createProviderSigner('ES256');
    const foreign = await stranger.sign(await cohortClaims(), { typ: 'eat+jwt', kid: undefined });
    await expect(verifier(unnamed).verify(foreign, policy)).rejects.toMatchObject({
      code: 'ATTESTATION_SIGNATURE',
    });
  });

  it('ATTESTATION_CONFIG_INVALID: symmetric algorithms, a plain-http JWKS, an unusable policy', async () => {
    const make = (extra: Partial<ConstructorParameters<typeof JwksVerifier>[0]>) =>
      new JwksVerifier({
        name: 'x',
        issuer: 'i',
        jwks: signer.jwks,
        claimMapping: cohortEatMapping,
        ...extra,
      });
    expect(() => make({ algorithms: ['HS256'] })).toThrow(
      expect.objectContaining({ code: 'ATTESTATION_CONFIG_INVALID' }),
    );
    expect(() => make({ algorithms: ['none'] })).toThrow(
      expect.objectContaining({ code: 'ATTESTATION_CONFIG_INVALID' }),
    );
    expect(() => make({ jwks: new URL('http://attest.example/certs') })).toThrow(
      expect.objectContaining({ code: 'ATTESTATION_CONFIG_INVALID' }),
    );
    expect(() => make({ jwks: { keys: 'none' } as unknown as JSONWebKeySet })).toThrow(
      expect.objectContaining({ code: 'ATTESTATION_CONFIG_INVALID' }),
    );
    const token = await signer.sign(await cohortClaims(), { typ: 'eat+jwt' });
    await expect(verifier().verify(token, { ...policy, audience: '' })).rejects.toMatchObject({
      code: 'ATTESTATION_CONFIG_INVALID',
    });
  });

  describe('with a JWKS URL', () => {
    let server: Server;
    let requests: number;
    let status: number;
    let url: URL;

    beforeAll(async () => {
      server = createServer((_, res) => {
        requests += 1;
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(signer.jwks));
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      url = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/certs`);
    });

    beforeEach(() => {
      requests = 0;
      status = 200;
    });

    afterAll(async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    });

    it('fetches the keys once and reuses them', async () => {
      const remote = verifier(url);
      const token = await signer.sign(await cohortClaims(), { typ: 'eat+jwt' });
      await remote.verify(token, policy);
      await remote.verify(token, policy);
      await remote.verify(token, policy);
      expect(requests).toBe(1);
    });

    it('ATTESTATION_JWKS_UNAVAILABLE: the service answers with an error, or not at all', async () => {
      status = 503;
      const token = await signer.sign(await cohortClaims(), { typ: 'eat+jwt' });
      await expect(verifier(url).verify(token, policy)).rejects.toMatchObject({
        code: 'ATTESTATION_JWKS_UNAVAILABLE',
      });
      const closed = createServer();
      await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
      const port = (closed.address() as AddressInfo).port;
      await new Promise<void>((resolve) => closed.close(() => resolve()));
      await expect(
        verifier(new URL(`http://127.0.0.1:${port}/certs`)).verify(token, policy),
      ).rejects.toMatchObject({
        code: 'ATTESTATION_JWKS_UNAVAILABLE',
      });
    });

    it('ATTESTATION_SIGNATURE, not unavailability, for a key the fetched set lacks', async () => {
      const stranger = await createProviderSigner('ES256');
      const token = await stranger.sign(await cohortClaims(), { typ: 'eat+jwt' });
      await expect(verifier(url).verify(token, policy)).rejects.toMatchObject({
        code: 'ATTESTATION_SIGNATURE',
      });
    });
  });
});
