import { agree, generateKeyPair, publicKeyOf } from './key-agreement.js';

const hex = (s: string) => new Uint8Array(Buffer.from(s, 'hex'));

describe('X25519 key agreement', () => {
  it('derives the RFC 7748 §6.1 public keys from their private keys', () => {
    expect(
      Buffer.from(
        publicKeyOf(hex('77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a')),
      ).toString('hex'),
    ).toBe('8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a');
    expect(
      Buffer.from(
        publicKeyOf(hex('5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb')),
      ).toString('hex'),
    ).toBe('de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f');
  });

  it('gives both ends the same seed, a different one per purpose', () => {
    const a = generateKeyPair();
    const b = generateKeyPair();
    expect(publicKeyOf(a.privateKey)).toEqual(a.publicKey);
    expect(agree(a.privateKey, b.publicKey, 'x')).toEqual(agree(b.privateKey, a.publicKey, 'x'));
    expect(agree(a.privateKey, b.publicKey, 'x')).not.toEqual(agree(a.privateKey, b.publicKey, 'y'));
  });

  it('refuses keys of the wrong size and small-order points', () => {
    const a = generateKeyPair();
    expect(() => agree(a.privateKey, new Uint8Array(31), 'x')).toThrow(/32 bytes/);
    // The all-zero point has small order: the shared secret would be zero.
    expect(() => agree(a.privateKey, new Uint8Array(32), 'x')).toThrow();
  });
});
