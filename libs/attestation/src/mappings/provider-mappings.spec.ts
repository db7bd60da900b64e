import { randomBytes } from 'node:crypto';
import { JwksVerifier } from '../jwks-verifier.js';
import { thumbprint } from '../keys.js';
import { assertKeyBinding, type AttestationPolicy } from '../verifier.js';
import { attestedKeys, runtimeKeys, type AttestedKeys } from '../fixtures/attested-keys.js';
import {
  AZURE_ISSUER,
  azureSevSnpClaims,
  azureSgxClaims,
  azureTdxClaims,
  azureVmClaims,
} from '../fixtures/azure-attestation.js';
import { CONFIDENTIAL_SPACE_ISSUER, confidentialSpaceClaims } from '../fixtures/google-confidential-space.js';
import { ITA_ISSUER, itaSgxClaims, itaTdxClaims } from '../fixtures/intel-trust-authority.js';
import { createProviderSigner, type ProviderSigner } from '../fixtures/provider-signer.js';
import { azureAttestationMapping } from './azure-attestation.js';
import { googleConfidentialSpaceMapping } from './google-confidential-space.js';
import { intelTrustAuthorityMapping } from './intel-trust-authority.js';

const AUDIENCE = 'cohort-federation';
const SHA384 = randomBytes(48).toString('hex');
const SHA256 = randomBytes(32).toString('hex');

let keys: AttestedKeys;
let nonce: Uint8Array;
let nonceText: string;

beforeAll(() => {
  keys = attestedKeys();
  nonce = randomBytes(32);
  nonceText = Buffer.from(nonce).toString('base64url');
});

const policyFor = (measurement: string, extra: Partial<AttestationPolicy> = {}): AttestationPolicy => ({
  audience: AUDIENCE,
  allowedMeasurements: [measurement],
  allowDebug: false,
  expectedNonce: nonce,
  ...extra,
});

describe('azureAttestationMapping', () => {
  let signer: ProviderSigner;
  let verifier: JwksVerifier;

  beforeAll(async () => {
    signer = await createProviderSigner('RS256');
    verifier = new JwksVerifier({
      name: 'azure',
      issuer: AZURE_ISSUER,
      jwks: signer.jwks,
      claimMapping: azureAttestationMapping,
    });
  });

  const options = () => ({ measurement: SHA384, nonce: nonceText, aud: AUDIENCE, keys: runtimeKeys(keys) });

  it('maps a SEV-SNP VM token: launch measurement, is-debuggable, nonce, runtime keys and audience', async () => {
    const verified = await verifier.verify(
      await signer.sign(azureSevSnpClaims(options())),
      policyFor(SHA384),
    );
    expect(verified).toMatchObject({
      verifier: 'azure',
      issuer: AZURE_ISSUER,
      measurement: SHA384,
      dbgstat: 1,
      nonce: nonceText,
      keyThumbprint: await thumbprint(keys.hpke),
      extraKeyThumbprints: { signing: await thumbprint(keys.signing) },
      insecureDev: false,
    });
    await expect(assertKeyBinding(verified, keys.hpke)).resolves.toBeUndefined();
  });

  it('maps TDX, SGX and azurevm (x-ms-isolation-tee) tokens', async () => {
    await expect(
      verifier.verify(await signer.sign(azureTdxClaims(options())), policyFor(SHA384)),
    ).resolves.toMatchObject({
      measurement: SHA384,
      dbgstat: 1,
    });
    const sgx = { ...options(), measurement: SHA256 };
    await expect(
      verifier.verify(await signer.sign(azureSgxClaims(sgx)), policyFor(SHA256)),
    ).resolves.toMatchObject({
      measurement: SHA256,
    });
    await expect(
      verifier.verify(await signer.sign(azureVmClaims(options())), policyFor(SHA384)),
    ).resolves.toMatchObject({
      measurement: SHA384,
      keyThumbprint: await thumbprint(keys.hpke),
    });
  });

  it('ATTESTATION_DEBUG for a debuggable SEV-SNP VM, SGX enclave or TD', async () => {
    for (const claims of [
      azureSevSnpClaims({ ...options(), debuggable: true }),
      azureTdxClaims({ ...options(), debuggable: true }),
      azureSgxClaims({ ...options(), measurement: SHA384, debuggable: true }),
    ]) {
      await expect(verifier.verify(await signer.sign(claims), policyFor(SHA384))).rejects.toMatchObject({
        code: 'ATTESTATION_DEBUG',
      });
    }
  });

  it('treats disagreeing debug fields as debuggable', async () => {
    const claims = { ...azureTdxClaims(options()), dbgstat: 'disabled', tdx_td_attributes_debug: true };
    await expect(verifier.verify(await signer.sign(claims), policyFor(SHA384))).rejects.toMatchObject({
      code: 'ATTESTATION_DEBUG',
    });
  });

  it('ATTESTATION_MALFORMED without a debug claim, a measurement, or with an unknown attestation type', async () => {
    const noDebug = azureSevSnpClaims(options());
    delete noDebug['x-ms-sevsnpvm-is-debuggable'];
    const stringDebug = { ...azureSevSnpClaims(options()), 'x-ms-sevsnpvm-is-debuggable': 'false' };
    const noMeasurement = azureSevSnpClaims(options());
    delete noMeasurement['x-ms-sevsnpvm-launchmeasurement'];
    const tpm = { ...azureSevSnpClaims(options()), 'x-ms-attestation-type': 'tpm' };
    for (const claims of [noDebug, stringDebug, noMeasurement, tpm]) {
      await expect(verifier.verify(await signer.sign(claims), policyFor(SHA384))).rejects.toMatchObject({
        code: 'ATTESTATION_MALFORMED',
      });
    }
  });

  it('ATTESTATION_AUDIENCE when the runtime data names no audience (MAA tokens have no aud)', async () => {
    const claims = azureSevSnpClaims({ ...options(), aud: undefined });
    await expect(verifier.verify(await signer.sign(claims), policyFor(SHA384))).rejects.toMatchObject({
      code: 'ATTESTATION_AUDIENCE',
    });
  });

  it('ATTESTATION_NONCE for another nonce, ATTESTATION_MEASUREMENT for another launch measurement', async () => {
    const token = await signer.sign(azureSevSnpClaims({ ...options(), nonce: 'c29tZSBvdGhlciBub25jZQ' }));
    await expect(verifier.verify(token, policyFor(SHA384))).rejects.toMatchObject({
      code: 'ATTESTATION_NONCE',
    });
    const good = await signer.sign(azureSevSnpClaims(options()));
    await expect(verifier.verify(good, policyFor('0'.repeat(96)))).rejects.toMatchObject({
      code: 'ATTESTATION_MEASUREMENT',
    });
  });

  it('never takes the HCL transfer key as the bound key: ATTESTATION_KEY_BINDING without a cohort key', async () => {
    const verified = await verifier.verify(
      await signer.sign(azureSevSnpClaims({ ...options(), keys: [] })),
      policyFor(SHA384),
    );
    expect(verified.keyThumbprint).toBeUndefined();
    await expect(assertKeyBinding(verified, keys.hpke)).rejects.toMatchObject({
      code: 'ATTESTATION_KEY_BINDING',
    });
  });

  it('ATTESTATION_MALFORMED when runtime data publishes a private key', async () => {
    const leaked = [{ ...keys.hpke, kid: 'cohort-hpke', d: randomBytes(32).toString('base64url') }];
    const token = await signer.sign(azureSevSnpClaims({ ...options(), keys: leaked }));
    await expect(verifier.verify(token, policyFor(SHA384))).rejects.toMatchObject({
      code: 'ATTESTATION_MALFORMED',
    });
  });

  it('ATTESTATION_SIGNATURE for a PS384 token when only RS256 (MAA) is accepted', async () => {
    const ps = await createProviderSigner('PS384');
    const lenient = new JwksVerifier({
      name: 'azure',
      issuer: AZURE_ISSUER,
      jwks: ps.jwks,
      claimMapping: azureAttestationMapping,
    });
    await expect(
      lenient.verify(await ps.sign(azureSevSnpClaims(options())), policyFor(SHA384)),
    ).rejects.toMatchObject({
      code: 'ATTESTATION_SIGNATURE',
    });
  });
});

describe('intelTrustAuthorityMapping', () => {
  let signer: ProviderSigner;
  let verifier: JwksVerifier;

  beforeAll(async () => {
    signer = await createProviderSigner('PS384');
    verifier = new JwksVerifier({
      name: 'ita',
      issuer: ITA_ISSUER,
      jwks: signer.jwks,
      claimMapping: intelTrustAuthorityMapping,
    });
  });

  const runtimeData = () => ({ aud: AUDIENCE, eat_nonce: nonceText, keys: runtimeKeys(keys) });

  it('maps a v2 TDX token (claims nested under "tdx"): MRTD, debug flags, runtime data', async () => {
    const token = await signer.sign(itaTdxClaims({ measurement: SHA384, runtimeData: runtimeData() }));
    await expect(verifier.verify(token, policyFor(SHA384))).resolves.toMatchObject({
      verifier: 'ita',
      measurement: SHA384,
      dbgstat: 1,
      nonce: nonceText,
      keyThumbprint: await thumbprint(keys.hpke),
      extraKeyThumbprints: { signing: await thumbprint(keys.signing) },
    });
  });

  it('maps a v1 SGX token (top-level claims): MRENCLAVE', async () => {
    const token = await signer.sign(itaSgxClaims({ measurement: SHA256, runtimeData: runtimeData() }));
    await expect(verifier.verify(token, policyFor(SHA256))).resolves.toMatchObject({
      measurement: SHA256,
      dbgstat: 1,
    });
  });

  it('ATTESTATION_DEBUG for a debug TD or enclave, or when only tdx_td_attributes_debug says so', async () => {
    const debugTd = itaTdxClaims({ measurement: SHA384, runtimeData: runtimeData(), debuggable: true });
    const debugEnclave = itaSgxClaims({ measurement: SHA384, runtimeData: runtimeData(), debuggable: true });
    const mixed = itaTdxClaims({ measurement: SHA384, runtimeData: runtimeData() });
    (mixed['tdx'] as Record<string, unknown>)['tdx_td_attributes_debug'] = true;
    for (const claims of [debugTd, debugEnclave, mixed]) {
      await expect(verifier.verify(await signer.sign(claims), policyFor(SHA384))).rejects.toMatchObject({
        code: 'ATTESTATION_DEBUG',
      });
    }
  });

  it("does not take ITA's own verifier_nonce as the relying party's nonce: ATTESTATION_NONCE", async () => {
    const token = await signer.sign(
      itaTdxClaims({ measurement: SHA384, runtimeData: { ...runtimeData(), eat_nonce: undefined } }),
    );
    await expect(verifier.verify(token, policyFor(SHA384))).rejects.toMatchObject({
      code: 'ATTESTATION_NONCE',
    });
  });

  it('ATTESTATION_MALFORMED without attester_type, or with runtime data that is not JSON', async () => {
    const untyped = itaTdxClaims({ measurement: SHA384, runtimeData: runtimeData() });
    delete (untyped['tdx'] as Record<string, unknown>)['attester_type'];
    const binary = itaTdxClaims({ measurement: SHA384 });
    (binary['tdx'] as Record<string, unknown>)['attester_runtime_data'] = 'AQID';
    for (const claims of [untyped, binary]) {
      await expect(verifier.verify(await signer.sign(claims), policyFor(SHA384))).rejects.toMatchObject({
        code: 'ATTESTATION_MALFORMED',
      });
    }
  });

  it('ATTESTATION_EXPIRED for an ITA token past its exp (5 minutes by default)', async () => {
    const old = itaTdxClaims({ measurement: SHA384, runtimeData: runtimeData(), iat: 1_700_000_000 });
    await expect(verifier.verify(await signer.sign(old), policyFor(SHA384))).rejects.toMatchObject({
      code: 'ATTESTATION_EXPIRED',
    });
  });
});

describe('googleConfidentialSpaceMapping', () => {
  let signer: ProviderSigner;
  let verifier: JwksVerifier;
  const digest = `sha256:${SHA256}`;

  beforeAll(async () => {
    signer = await createProviderSigner('RS256');
    verifier = new JwksVerifier({
      name: 'confidential-space',
      issuer: CONFIDENTIAL_SPACE_ISSUER,
      jwks: signer.jwks,
      claimMapping: googleConfidentialSpaceMapping,
    });
  });

  const eatNonce = async () => [
    nonceText,
    `cohort-jkt:hpke:${await thumbprint(keys.hpke)}`,
    `cohort-jkt:signing:${await thumbprint(keys.signing)}`,
  ];

  it('maps a production image token: image digest, dbgstat text, eat_nonce with key thumbprints', async () => {
    const token = await signer.sign(
      confidentialSpaceClaims({ imageDigest: digest, aud: AUDIENCE, eatNonce: await eatNonce() }),
    );
    const verified = await verifier.verify(token, policyFor(digest));
    expect(verified).toMatchObject({
      measurement: digest,
      dbgstat: 2,
      nonce: nonceText,
      keyThumbprint: await thumbprint(keys.hpke),
      extraKeyThumbprints: { signing: await thumbprint(keys.signing) },
    });
    await expect(assertKeyBinding(verified, keys.signing, 'signing')).resolves.toBeUndefined();
  });

  it('accepts a single-string eat_nonce', async () => {
    const token = await signer.sign(
      confidentialSpaceClaims({ imageDigest: digest, aud: AUDIENCE, eatNonce: nonceText }),
    );
    await expect(verifier.verify(token, policyFor(digest))).resolves.toMatchObject({ nonce: nonceText });
  });

  it('ATTESTATION_DEBUG for the debug image', async () => {
    const token = await signer.sign(
      confidentialSpaceClaims({
        imageDigest: digest,
        aud: AUDIENCE,
        eatNonce: await eatNonce(),
        debug: true,
      }),
    );
    await expect(verifier.verify(token, policyFor(digest))).rejects.toMatchObject({
      code: 'ATTESTATION_DEBUG',
    });
    await expect(verifier.verify(token, policyFor(digest, { allowDebug: true }))).resolves.toMatchObject({
      dbgstat: 0,
    });
  });

  it('ATTESTATION_MEASUREMENT for another container image, ATTESTATION_AUDIENCE for another audience', async () => {
    const token = await signer.sign(
      confidentialSpaceClaims({ imageDigest: digest, aud: AUDIENCE, eatNonce: await eatNonce() }),
    );
    await expect(verifier.verify(token, policyFor(`sha256:${'0'.repeat(64)}`))).rejects.toMatchObject({
      code: 'ATTESTATION_MEASUREMENT',
    });
    const sts = await signer.sign(
      confidentialSpaceClaims({
        imageDigest: digest,
        aud: 'https://sts.googleapis.com',
        eatNonce: await eatNonce(),
      }),
    );
    await expect(verifier.verify(sts, policyFor(digest))).rejects.toMatchObject({
      code: 'ATTESTATION_AUDIENCE',
    });
  });

  it('ATTESTATION_MALFORMED for a Confidential VM token without submods.container', async () => {
    const claims = confidentialSpaceClaims({
      imageDigest: digest,
      aud: AUDIENCE,
      eatNonce: await eatNonce(),
    });
    claims['submods'] = { gce: {} };
    await expect(verifier.verify(await signer.sign(claims), policyFor(digest))).rejects.toMatchObject({
      code: 'ATTESTATION_MALFORMED',
    });
  });

  it('ATTESTATION_ISSUER for a token from another Google endpoint', async () => {
    const claims = {
      ...confidentialSpaceClaims({ imageDigest: digest, aud: AUDIENCE }),
      iss: 'https://accounts.google.com',
    };
    await expect(verifier.verify(await signer.sign(claims), policyFor(digest))).rejects.toMatchObject({
      code: 'ATTESTATION_ISSUER',
    });
  });
});
