import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parsePositiveInt } from '../output.js';
import { medianMs, round3 as round } from './measure.js';
import type { BenchSuite } from './suite.js';

/**
 * The trust path of one update of `parameters` floats: seal + sign at the silo, verify + open at the aggregator
 * (host signature check, enclave HPKE open), and verifying an attestation token once its keys are known.
 */
async function benchTrust(parameters: number): Promise<Record<string, unknown>> {
  const { generateSealingKeyPair, seal, open, updateAad, SEALING_SCHEME } = await import('@cohort/sealing');
  const { loadOrCreateIdentityKey, signUpdate, verifyUpdate } = await import('@cohort/identity');
  const { InsecureDevAuthority, insecureDevVerifier, assertKeyBinding, x25519Jwk } =
    await import('@cohort/attestation');
  const { packFloat32, sha256 } = await import('@cohort/protocol');
  const dir = await mkdtemp(join(tmpdir(), 'cohort-bench-'));
  try {
    const identity = await loadOrCreateIdentityKey(dir);
    const enclave = await generateSealingKeyPair();
    const update = packFloat32(new Float32Array(parameters).map((_, i) => Math.sin(i) * 1e-3));
    const claims = { jobId: 'bench', round: 1, siloId: 'bench-silo' };
    const nonce = randomBytes(16);
    const signed = { ...claims, nonce, exampleCount: 100, sealing: SEALING_SCHEME };
    const silo = async (): Promise<{ sealed: Buffer; jws: string }> => {
      const sealed = await seal(enclave.publicKeyRaw, update, updateAad(claims));
      return { sealed, jws: await signUpdate(identity, { ...signed, payloadSha256: sha256(sealed) }) };
    };
    const aggregator = async (u: { sealed: Buffer; jws: string }): Promise<void> => {
      const digest = sha256(u.sealed);
      await verifyUpdate(u.jws, identity.publicKey, { ...signed, payloadSha256: digest });
      await open(enclave, u.sealed, updateAad(claims));
    };
    const sealMs = await medianMs(7, silo);
    const sample = await silo();
    const openMs = await medianMs(7, () => aggregator(sample));

    const authority = await InsecureDevAuthority.ephemeral();
    const verifier = insecureDevVerifier(authority.jwks());
    const tokenNonce = randomBytes(32);
    const token = await authority.issue(
      {
        measurement: 'ab'.repeat(32),
        component: 'bench',
        nonce: tokenNonce,
        boundKey: x25519Jwk(enclave.publicKeyRaw),
      },
      'cohort-federation',
    );
    const policy = {
      audience: 'cohort-federation',
      allowedMeasurements: ['ab'.repeat(32)],
      allowDebug: true,
      expectedNonce: tokenNonce,
    };
    const verifyToken = async (): Promise<void> => {
      await assertKeyBinding(await verifier.verify(token, policy), x25519Jwk(enclave.publicKeyRaw));
    };
    await verifyToken();
    const attestationMs = await medianMs(200, verifyToken);
    return {
      suite: 'trust',
      parameters,
      updateBytes: update.byteLength,
      sealedBytes: sample.sealed.byteLength,
      siloSealAndSignMs: round(sealMs),
      aggregatorVerifyAndOpenMs: round(openMs),
      attestationVerifyMs: round(attestationMs),
      targets: { siloSealAndSignMs: 30, aggregatorVerifyAndOpenMs: 30, attestationVerifyMs: 5 },
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export const suite: BenchSuite = {
  description:
    'seal + sign one update at the silo, verify + open it at the aggregator, verify an attestation token',
  options: [
    {
      flags: '--parameters <n>',
      description: 'model size in parameters',
      parse: parsePositiveInt('--parameters'),
      default: 1_000_000,
    },
  ],
  run: (o) => benchTrust(o.parameters as number),
};
