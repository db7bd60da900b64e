import { createPublicKey } from 'node:crypto';

import { decap, deriveX25519KeyPair, encap, x25519PublicKey } from './dhkem-x25519.js';
import { keyScheduleBase, openBase, sealBase } from './hpke-base-mode.js';

const hex = (s: string): Buffer => Buffer.from(s, 'hex');

// RFC 9180 Appendix A.1.1 (DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, AES-128-GCM, base mode): every
// intermediate value of Setup and the sequence-0 encryption.
const A1 = {
  info: hex('4f6465206f6e2061204772656369616e2055726e'),
  ikmE: hex('7268600d403fce431561aef583ee1613527cff655c1343f29812e66706df3234'),
  pkEm: hex('37fda3567bdbd628e88668c3c8d7e97d1d1253b6d4ea6d44c150f741f1bf4431'),
  ikmR: hex('6db9df30aa07dd42ee5e8181afdb977e538f5e1fec8a06223f33f7013e525037'),
  pkRm: hex('3948cfe0ad1ddb695d780e59077195da6c56506b027329794ab02bca80815c4d'),
  enc: hex('37fda3567bdbd628e88668c3c8d7e97d1d1253b6d4ea6d44c150f741f1bf4431'),
  sharedSecret: hex('fe0e18c9f024ce43799ae393c7e8fe8fce9d218875e8227b0187c04e7d2ea1fc'),
  key: hex('4531685d41d65f03dc48f6b8302c05b0'),
  baseNonce: hex('56d890e5accaaf011cff4b7d'),
  pt: hex('4265617574792069732074727574682c20747275746820626561757479'),
  aad: hex('436f756e742d30'),
  ct: hex('f938558b5d72f1a23810b4be2ab4f84331acc02fc97babc53a52ae8218a355a96d8770ac83d07bea87e13c512a'),
};

describe('RFC 9180 Appendix A.1.1, step by step', () => {
  const ephemeral = deriveX25519KeyPair(A1.ikmE);
  const recipient = deriveX25519KeyPair(A1.ikmR);

  it('DeriveKeyPair(ikmE) and DeriveKeyPair(ikmR) give pkEm and pkRm (§7.1.3)', () => {
    expect(ephemeral.publicKeyRaw.toString('hex')).toBe(A1.pkEm.toString('hex'));
    expect(recipient.publicKeyRaw.toString('hex')).toBe(A1.pkRm.toString('hex'));
    // The public half node computes from the derived private key agrees with the serialised one.
    expect(createPublicKey(recipient.privateKey).equals(x25519PublicKey(A1.pkRm))).toBe(true);
  });

  it('Encap gives enc and shared_secret; Decap gives the same shared_secret', () => {
    const { sharedSecret, enc } = encap(x25519PublicKey(A1.pkRm), A1.pkRm, ephemeral);
    expect(enc.toString('hex')).toBe(A1.enc.toString('hex'));
    expect(sharedSecret.toString('hex')).toBe(A1.sharedSecret.toString('hex'));
    expect(decap(A1.enc, recipient.privateKey, A1.pkRm).toString('hex')).toBe(
      A1.sharedSecret.toString('hex'),
    );
  });

  it('KeySchedule gives key and base_nonce, and wipes the shared secret it consumed', () => {
    const consumed = Buffer.from(A1.sharedSecret);
    const { key, baseNonce } = keyScheduleBase(consumed, A1.info);
    expect(key.toString('hex')).toBe(A1.key.toString('hex'));
    expect(baseNonce.toString('hex')).toBe(A1.baseNonce.toString('hex'));
    expect(consumed.equals(Buffer.alloc(32))).toBe(true);
  });

  it('Seal at sequence 0 gives enc ‖ ct, and Open gives pt back', () => {
    const sealed = sealBase(x25519PublicKey(A1.pkRm), A1.pkRm, A1.info, A1.aad, A1.pt, ephemeral);
    expect(sealed.toString('hex')).toBe(Buffer.concat([A1.enc, A1.ct]).toString('hex'));
    const opened = openBase(recipient.privateKey, A1.pkRm, A1.enc, A1.info, A1.aad, A1.ct);
    expect(opened.toString('hex')).toBe(A1.pt.toString('hex'));
  });

  it('Open refuses a ciphertext shorter than its tag, and a wrong pkRm in the KEM context', () => {
    expect(() =>
      openBase(recipient.privateKey, A1.pkRm, A1.enc, A1.info, A1.aad, A1.ct.subarray(0, 15)),
    ).toThrow(expect.objectContaining({ code: 'SEALED_OPEN_FAILED' }));
    const otherPkRm = Buffer.from(A1.pkRm);
    otherPkRm[0] ^= 1;
    expect(() => openBase(recipient.privateKey, otherPkRm, A1.enc, A1.info, A1.aad, A1.ct)).toThrow(
      expect.objectContaining({ code: 'SEALED_OPEN_FAILED' }),
    );
  });
});
