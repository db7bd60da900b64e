import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, generateKeyPairSync, randomBytes, webcrypto } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { badArguments, parsePositiveInt } from '../output.js';
import { medianMs, round3 as round } from './measure.js';
import type { BenchSuite } from './suite.js';

/** The heart-disease logistic regression's update: 11 float32 parameters. */
const SMALL_PARAMETERS = 11;

/**
 * The per-update cryptography on its own: HPKE seal and open (ours on node's synchronous primitives against
 * @hpke/core on WebCrypto, the implementation it replaced) and the Ed25519 statement JWS (ours against jose), for
 * a small update and for `parameters` floats, optionally while `busy` other processes spin on the CPUs, as the
 * federation's processes do to each other.
 */
async function benchCrypto(parameters: number, busy: number): Promise<Record<string, unknown>> {
  const { generateSealingKeyPair, seal, open, updateAad } = await import('@cohort/sealing');
  const { identityFromPrivateKey, signUpdate, verifyUpdate } = await import('@cohort/identity');
  const { Aes128Gcm, CipherSuite, DhkemX25519HkdfSha256, HkdfSha256 } = await import('@hpke/core');
  const { CompactSign, compactVerify } = await import('jose');

  const enclave = await generateSealingKeyPair();
  const claims = { jobId: 'bench', round: 1, siloId: 'bench-silo' };
  const aad = updateAad(claims);
  const info = new TextEncoder().encode('cohort/v1/update');
  const reference = new CipherSuite({
    kem: new DhkemX25519HkdfSha256(),
    kdf: new HkdfSha256(),
    aead: new Aes128Gcm(),
  });
  // The replaced implementation as it ran: a non-extractable WebCrypto pair, the public key imported per call.
  const webPair = (await webcrypto.subtle.generateKey({ name: 'X25519' }, false, [
    'deriveBits',
  ])) as webcrypto.CryptoKeyPair;
  const webPublicRaw = new Uint8Array(await webcrypto.subtle.exportKey('raw', webPair.publicKey));
  const importWebPublic = (): Promise<webcrypto.CryptoKey> =>
    webcrypto.subtle.importKey('raw', webPublicRaw, { name: 'X25519' }, true, []);
  const referenceSeal = async (plaintext: Uint8Array): Promise<Buffer> => {
    const { enc, ct } = await reference.seal(
      { recipientPublicKey: await importWebPublic(), info },
      plaintext,
      aad,
    );
    return Buffer.concat([new Uint8Array(enc), new Uint8Array(ct)]);
  };
  const referenceOpen = async (sealed: Buffer): Promise<ArrayBuffer> =>
    reference.open(
      {
        recipientKey: { privateKey: webPair.privateKey, publicKey: await importWebPublic() },
        enc: sealed.subarray(0, 32),
        info,
      },
      sealed.subarray(32),
      aad,
    );

  const identity = identityFromPrivateKey(generateKeyPairSync('ed25519').privateKey);
  const signed = {
    ...claims,
    nonce: randomBytes(16),
    payloadSha256: createHash('sha256').update('sealed').digest(),
    exampleCount: 100,
    sealing: 'hpke-x25519-hkdfsha256-aes128gcm',
  };
  const jws = await signUpdate(identity, signed);
  const [protectedHeader] = jws.split('.');
  const header = JSON.parse(Buffer.from(protectedHeader, 'base64url').toString('utf8')) as {
    alg: string;
  };
  const digest = randomBytes(32);

  const spinners = await startSpinners(busy);
  try {
    const sizes: Record<string, unknown> = {};
    for (const [name, count] of [
      ['small', SMALL_PARAMETERS],
      ['large', parameters],
    ] as const) {
      const update = randomBytes(count * 4);
      const runs = count * 4 < 65_536 ? 301 : 9;
      const sealed = await seal(enclave.publicKeyRaw, update, aad);
      const referenceSealed = await referenceSeal(update);
      const ours = {
        sealMs: await medianMs(runs, () => seal(enclave.publicKeyRaw, update, aad)),
        openMs: await medianMs(runs, () => open(enclave, sealed, aad)),
      };
      const replaced = {
        sealMs: await medianMs(runs, () => referenceSeal(update)),
        openMs: await medianMs(runs, () => referenceOpen(referenceSealed)),
      };
      sizes[name] = {
        parameters: count,
        updateBytes: update.byteLength,
        sealedBytes: sealed.byteLength,
        ours: { sealMs: round(ours.sealMs), openMs: round(ours.openMs) },
        hpkeCoreWebCrypto: { sealMs: round(replaced.sealMs), openMs: round(replaced.openMs) },
        speedup: { seal: round(replaced.sealMs / ours.sealMs), open: round(replaced.openMs / ours.openMs) },
      };
    }
    const statementRuns = 501;
    const oursSign = await medianMs(statementRuns, () => signUpdate(identity, signed));
    const oursVerify = await medianMs(statementRuns, () => verifyUpdate(jws, identity.publicKey, signed));
    const joseSign = await medianMs(statementRuns, () =>
      new CompactSign(digest).setProtectedHeader(header).sign(identity.privateKey),
    );
    const joseVerify = await medianMs(statementRuns, () =>
      compactVerify(jws, identity.publicKey, { algorithms: ['EdDSA'] }),
    );
    return {
      suite: 'crypto',
      busyProcesses: busy,
      seal: sizes,
      statement: {
        ours: { signMs: round(oursSign), verifyMs: round(oursVerify) },
        joseWebCrypto: { signMs: round(joseSign), verifyMs: round(joseVerify) },
        speedup: { sign: round(joseSign / oursSign), verify: round(joseVerify / oursVerify) },
      },
      targets: { smallSealMs: 1, smallOpenMs: 1 },
    };
  } finally {
    await stopSpinners(spinners);
  }
}

/** `count` child processes that only burn CPU, started before measuring and stopped after. */
async function startSpinners(count: number): Promise<ChildProcess[]> {
  const children: ChildProcess[] = [];
  for (let i = 0; i < count; i++) {
    children.push(spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' }));
  }
  // Until the scheduler shares the CPUs with them, the first samples would be idle ones.
  if (count > 0) await sleep(300);
  return children;
}

async function stopSpinners(children: ChildProcess[]): Promise<void> {
  await Promise.all(
    children.map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          child.once('exit', () => resolve());
          child.kill('SIGKILL');
        }),
    ),
  );
}

export const suite: BenchSuite = {
  description:
    'per-update crypto: seal/open (ours vs @hpke/core on WebCrypto) and statement sign/verify (ours vs jose), small and P parameters, --busy N spinning processes',
  options: [
    {
      flags: '--parameters <n>',
      description: 'model size in parameters',
      parse: parsePositiveInt('--parameters'),
      default: 1_000_000,
    },
    {
      flags: '--busy <n>',
      description: 'processes spinning on the CPUs while measuring (0 for an idle machine)',
      parse: (value: string) => {
        const n = Number(value);
        if (!Number.isSafeInteger(n) || n < 0 || n > 64)
          throw badArguments(`--busy must be an integer from 0 to 64, got "${value}"`);
        return n;
      },
      default: 0,
    },
  ],
  run: (o) => benchCrypto(o.parameters as number, o.busy as number),
};
