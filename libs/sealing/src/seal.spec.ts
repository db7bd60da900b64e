import { Aes128Gcm, CipherSuite, DhkemX25519HkdfSha256, HkdfSha256 } from '@hpke/core';
import { createPrivateKey, KeyObject, randomBytes, randomInt, webcrypto } from 'node:crypto';

import { SealingError } from './errors.js';
import { generateSealingKeyPair, type SealingKeyPair } from './key-pair.js';
import { open, openWith, seal, sealWith } from './seal.js';
import { sealedLength } from './scheme.js';
import { updateAad } from './update-aad.js';

const hex = (s: string): Buffer => Buffer.from(s, 'hex');

// RFC 9180 Appendix A.1.1: DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, AES-128-GCM, base mode, sequence number 0.
const A1 = {
  info: hex('4f6465206f6e2061204772656369616e2055726e'),
  ikmE: hex('7268600d403fce431561aef583ee1613527cff655c1343f29812e66706df3234'),
  pkRm: hex('3948cfe0ad1ddb695d780e59077195da6c56506b027329794ab02bca80815c4d'),
  skRm: hex('4612c550263fc8ad58375df3f557aac531d26850903e55a9f23f21d8534e8ac8'),
  enc: hex('37fda3567bdbd628e88668c3c8d7e97d1d1253b6d4ea6d44c150f741f1bf4431'),
  pt: hex('4265617574792069732074727574682c20747275746820626561757479'),
  aad: hex('436f756e742d30'),
  ct: hex('f938558b5d72f1a23810b4be2ab4f84331acc02fc97babc53a52ae8218a355a96d8770ac83d07bea87e13c512a'),
};

// PKCS#8 wrapper for a raw X25519 private key (RFC 8410): lets the test import skRm as it is printed.
const X25519_PKCS8_PREFIX = hex('302e020100300506032b656e04220420');

function rfcRecipient(): Promise<SealingKeyPair> {
  const privateKey = createPrivateKey({
    key: Buffer.concat([X25519_PKCS8_PREFIX, A1.skRm]),
    format: 'der',
    type: 'pkcs8',
  });
  return Promise.resolve({ privateKey, publicKeyRaw: new Uint8Array(A1.pkRm) });
}

// The X25519 points of small order (RFC 7748 §6.1; the list of Bernstein's "Curve25519: high-speed elliptic-curve
// cryptography" page): multiplying any clamped scalar by them gives zero.
const LOW_ORDER_POINTS = [
  '0000000000000000000000000000000000000000000000000000000000000000',
  '0100000000000000000000000000000000000000000000000000000000000000',
  'e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800',
  '5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157',
  'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  'edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  'eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
];

async function expectCode(p: Promise<unknown>, code: string): Promise<void> {
  const err: unknown = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(SealingError);
  expect((err as SealingError).code).toBe(code);
}

const aad = updateAad({ jobId: 'job-1', round: 4, siloId: 'silo-cleveland' });

describe('RFC 9180 Appendix A.1.1 (base mode, sequence 0)', () => {
  it('seals to exactly enc ‖ ct of the test vector when the ephemeral key is fixed', async () => {
    const sealed = await sealWith(A1.pkRm, A1.pt, A1.aad, { info: A1.info, ephemeralIkm: A1.ikmE });
    expect(sealed.toString('hex')).toBe(Buffer.concat([A1.enc, A1.ct]).toString('hex'));
  });

  it('opens the test vector with the recipient key as a node KeyObject', async () => {
    const recipient = await rfcRecipient();
    const opened = await openWith(recipient, Buffer.concat([A1.enc, A1.ct]), A1.aad, { info: A1.info });
    expect(opened.equals(A1.pt)).toBe(true);
  });

  it('does not open the test vector under Cohort’s own info string', async () => {
    await expectCode(
      open(await rfcRecipient(), Buffer.concat([A1.enc, A1.ct]), A1.aad),
      'SEALED_OPEN_FAILED',
    );
  });
});

describe('seal and open', () => {
  let keyPair: SealingKeyPair;
  beforeAll(async () => {
    keyPair = await generateSealingKeyPair();
  });

  it('generates an X25519 private key object and a 32-byte public key', () => {
    expect(keyPair.privateKey).toBeInstanceOf(KeyObject);
    expect(keyPair.privateKey.type).toBe('private');
    expect(keyPair.privateKey.asymmetricKeyType).toBe('x25519');
    expect(keyPair.publicKeyRaw).toHaveLength(32);
  });

  it('round-trips a small update', async () => {
    const plaintext = Buffer.from('a small update');
    const sealed = await seal(keyPair.publicKeyRaw, plaintext, aad);
    expect(sealed).toHaveLength(32 + plaintext.length + 16);
    expect(sealedLength(plaintext.length)).toBe(sealed.length);
    const opened = await open(keyPair, sealed, aad);
    expect(opened.equals(plaintext)).toBe(true);
    // Its own memory, not a slice of node's shared pool: wiping it wipes nothing else, and views align.
    expect(opened.byteOffset).toBe(0);
    expect(opened.buffer.byteLength).toBe(plaintext.length);
  });

  it('round-trips an empty payload', async () => {
    const sealed = await seal(keyPair.publicKeyRaw, new Uint8Array(0), aad);
    expect(sealed).toHaveLength(48);
    expect(await open(keyPair, sealed, aad)).toHaveLength(0);
  });

  it('round-trips a 1,000,000-parameter float32 update (4 MB)', async () => {
    const weights = new Float32Array(1_000_000).map((_, i) => Math.sin(i));
    const plaintext = new Uint8Array(weights.buffer);
    const sealed = await seal(keyPair.publicKeyRaw, plaintext, aad);
    expect(sealed).toHaveLength(32 + 4_000_000 + 16);
    expect(sealedLength(plaintext.byteLength)).toBe(sealed.length);
    const opened = await open(keyPair, sealed, aad);
    expect(new Float32Array(opened.buffer, opened.byteOffset, 1_000_000)).toEqual(weights);
  });

  it('uses a fresh ephemeral key every time, so equal updates never seal equally', async () => {
    const plaintext = Buffer.from('same');
    const a = await seal(keyPair.publicKeyRaw, plaintext, aad);
    const b = await seal(keyPair.publicKeyRaw, plaintext, aad);
    expect(a.subarray(0, 32).equals(b.subarray(0, 32))).toBe(false);
    expect(a.subarray(32).equals(b.subarray(32))).toBe(false);
  });

  it('leaves the caller’s sealed bytes alone (open reads a view)', async () => {
    const sealed = await seal(keyPair.publicKeyRaw, randomBytes(100), aad);
    const copy = Buffer.from(sealed);
    await open(keyPair, sealed, aad);
    expect(sealed.equals(copy)).toBe(true);
  });

  describe('refuses', () => {
    let sealed: Buffer;
    beforeAll(async () => {
      sealed = await seal(keyPair.publicKeyRaw, randomBytes(4096), aad);
    });

    it.each([
      ['the first ciphertext byte', 32],
      ['a middle ciphertext byte', 32 + 2048],
      ['the last tag byte', 32 + 4096 + 15],
    ])('a flipped bit in %s → SEALED_OPEN_FAILED', async (_what, index) => {
      const tampered = Buffer.from(sealed);
      tampered[index] ^= 0x01;
      await expectCode(open(keyPair, tampered, aad), 'SEALED_OPEN_FAILED');
    });

    it('a tampered encapsulated key → SEALED_OPEN_FAILED', async () => {
      const tampered = Buffer.from(sealed);
      tampered[5] ^= 0x80;
      await expectCode(open(keyPair, tampered, aad), 'SEALED_OPEN_FAILED');
    });

    it('a truncated ciphertext → SEALED_OPEN_FAILED', async () => {
      await expectCode(open(keyPair, sealed.subarray(0, sealed.length - 1), aad), 'SEALED_OPEN_FAILED');
    });

    it('the header of another round, job or silo → SEALED_OPEN_FAILED', async () => {
      for (const other of [
        { jobId: 'job-1', round: 5, siloId: 'silo-cleveland' },
        { jobId: 'job-2', round: 4, siloId: 'silo-cleveland' },
        { jobId: 'job-1', round: 4, siloId: 'silo-hungary' },
      ]) {
        await expectCode(open(keyPair, sealed, updateAad(other)), 'SEALED_OPEN_FAILED');
      }
    });

    it('another enclave’s key → SEALED_OPEN_FAILED', async () => {
      await expectCode(open(await generateSealingKeyPair(), sealed, aad), 'SEALED_OPEN_FAILED');
    });

    it.each([0, 1, 47])('%i bytes of input → SEALED_MALFORMED', async (length) => {
      await expectCode(open(keyPair, sealed.subarray(0, length), aad), 'SEALED_MALFORMED');
    });

    it('a recipient key of the wrong length → SEALING_KEY_INVALID', async () => {
      await expectCode(
        seal(keyPair.publicKeyRaw.subarray(0, 31), Buffer.from('x'), aad),
        'SEALING_KEY_INVALID',
      );
    });

    it.each(LOW_ORDER_POINTS)(
      'a low-order recipient key %s (all-zero shared secret) → SEALING_KEY_INVALID',
      async (point) => {
        await expectCode(seal(hex(point), Buffer.from('x'), aad), 'SEALING_KEY_INVALID');
      },
    );

    it.each(LOW_ORDER_POINTS)('a low-order encapsulated key %s → SEALED_OPEN_FAILED', async (point) => {
      const tampered = Buffer.from(sealed);
      hex(point).copy(tampered, 0);
      await expectCode(open(keyPair, tampered, aad), 'SEALED_OPEN_FAILED');
    });

    it('another info string → SEALED_OPEN_FAILED', async () => {
      await expectCode(
        openWith(keyPair, sealed, aad, { info: Buffer.from('cohort/v1/other') }),
        'SEALED_OPEN_FAILED',
      );
    });
  });
});

describe('interoperability with @hpke/core (an independent RFC 9180 implementation on WebCrypto)', () => {
  const reference = new CipherSuite({
    kem: new DhkemX25519HkdfSha256(),
    kdf: new HkdfSha256(),
    aead: new Aes128Gcm(),
  });
  const info = new TextEncoder().encode('cohort/v1/update');
  let recipient: SealingKeyPair;
  let referenceKeys: webcrypto.CryptoKeyPair;

  beforeAll(async () => {
    // The reference library makes the pair; ours uses the same private key as a node KeyObject.
    referenceKeys = await reference.kem.generateKeyPair();
    recipient = {
      privateKey: KeyObject.from(referenceKeys.privateKey),
      publicKeyRaw: new Uint8Array(await webcrypto.subtle.exportKey('raw', referenceKeys.publicKey)),
    };
  });

  async function referenceSeal(plaintext: Uint8Array, headerAad: Uint8Array): Promise<Buffer> {
    const { enc, ct } = await reference.seal(
      { recipientPublicKey: referenceKeys.publicKey, info },
      plaintext,
      headerAad,
    );
    return Buffer.concat([new Uint8Array(enc), new Uint8Array(ct)]);
  }

  async function referenceOpen(sealed: Uint8Array, headerAad: Uint8Array): Promise<Buffer> {
    const plaintext = await reference.open(
      { recipientKey: referenceKeys, enc: sealed.subarray(0, 32), info },
      sealed.subarray(32),
      headerAad,
    );
    return Buffer.from(plaintext);
  }

  it('seals and opens on the calling thread, within one event-loop turn; @hpke/core waits for the thread pool', async () => {
    const plaintext = randomBytes(1000);
    const ours = async (): Promise<void> => {
      await generateSealingKeyPair();
      await open(recipient, await seal(recipient.publicKeyRaw, plaintext, aad), aad);
    };
    expect(await settlesInOneTurn(ours)).toBe(true);
    // The check can fail: the reference library's key generation, DH, HKDF and AES steps are thread-pool jobs.
    expect(await settlesInOneTurn(async () => referenceOpen(await referenceSeal(plaintext, aad), aad))).toBe(
      false,
    );
  });

  const sizes = [0, 1, 15, 16, 17, randomInt(2, 70_000), randomInt(70_000, 1_000_000), 4_000_000];

  it.each(sizes)('ours seals %i bytes, @hpke/core opens them', async (size) => {
    const plaintext = randomBytes(size);
    const sealed = await seal(recipient.publicKeyRaw, plaintext, aad);
    expect(sealed).toHaveLength(sealedLength(size));
    expect((await referenceOpen(sealed, aad)).equals(plaintext)).toBe(true);
  });

  it.each(sizes)('@hpke/core seals %i bytes, ours opens them', async (size) => {
    const plaintext = randomBytes(size);
    const sealed = await referenceSeal(plaintext, aad);
    expect(sealed).toHaveLength(sealedLength(size));
    expect((await open(recipient, sealed, aad)).equals(plaintext)).toBe(true);
  });

  describe('both refuse what the other sealed once tampered with', () => {
    const plaintext = randomBytes(1000);
    const otherAad = updateAad({ jobId: 'job-1', round: 5, siloId: 'silo-cleveland' });
    const tamperings: [string, (sealed: Buffer) => Buffer][] = [
      ['the encapsulated key', (b) => flip(b, 3)],
      ['the ciphertext', (b) => flip(b, 32 + 500)],
      ['the tag', (b) => flip(b, b.length - 1)],
    ];

    it.each(tamperings)('%s', async (_what, tamper) => {
      const ours = tamper(await seal(recipient.publicKeyRaw, plaintext, aad));
      await expect(referenceOpen(ours, aad)).rejects.toThrow();
      await expectCode(
        open(recipient, tamper(await referenceSeal(plaintext, aad)), aad),
        'SEALED_OPEN_FAILED',
      );
    });

    it('the aad', async () => {
      await expect(
        referenceOpen(await seal(recipient.publicKeyRaw, plaintext, aad), otherAad),
      ).rejects.toThrow();
      await expectCode(open(recipient, await referenceSeal(plaintext, aad), otherAad), 'SEALED_OPEN_FAILED');
    });

    it('the info', async () => {
      const sealed = await referenceSeal(plaintext, aad);
      await expectCode(
        openWith(recipient, sealed, aad, { info: Buffer.from('cohort/v2/update') }),
        'SEALED_OPEN_FAILED',
      );
      const ours = await sealWith(recipient.publicKeyRaw, plaintext, aad, {
        info: Buffer.from('cohort/v2/update'),
      });
      await expect(referenceOpen(ours, aad)).rejects.toThrow();
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

function flip(bytes: Buffer, index: number): Buffer {
  const copy = Buffer.from(bytes);
  copy[index] ^= 0x01;
  return copy;
}
