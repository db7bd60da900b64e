import { hkdfSync } from 'node:crypto';

import { hpkeSuiteId, kemSuiteId, labeledExpand, labeledExtract } from './labeled-hkdf.js';

// The reference is OpenSSL's HKDF (node's hkdfSync = Expand(Extract(salt, ikm), info, L)) fed with the labeled
// inputs RFC 9180 §4 spells out, so each half of ours is checked against an implementation that is not ours.
const version = Buffer.from('HPKE-v1');

function reference(
  suiteId: Buffer,
  salt: Buffer,
  label1: string,
  ikm: Buffer,
  label2: string,
  info: Buffer,
  length: number,
): Buffer {
  const length2 = Buffer.alloc(2);
  length2.writeUInt16BE(length);
  return Buffer.from(
    hkdfSync(
      'sha256',
      Buffer.concat([version, suiteId, Buffer.from(label1), ikm]),
      salt,
      Buffer.concat([length2, version, suiteId, Buffer.from(label2), info]),
      length,
    ),
  );
}

describe('RFC 9180 §4 labeled HKDF-SHA256', () => {
  it('spells the suite ids of RFC 9180 §4.1 and §5.1', () => {
    expect(kemSuiteId(0x0020).toString('hex')).toBe(Buffer.from('KEM\x00\x20', 'latin1').toString('hex'));
    expect(hpkeSuiteId(0x0020, 1, 1).toString('hex')).toBe('48504b45002000010001');
  });

  it.each([
    ['KEM suite, empty salt, one block', kemSuiteId(0x0020), Buffer.alloc(0), 32],
    ['HPKE suite, a salt, a 16-byte key', hpkeSuiteId(0x0020, 1, 1), Buffer.from('some salt'), 16],
    ['HPKE suite, a 12-byte nonce', hpkeSuiteId(0x0020, 1, 1), Buffer.alloc(32, 9), 12],
    ['several blocks', kemSuiteId(0x0010), Buffer.alloc(0), 100],
  ])('LabeledExpand(LabeledExtract(…)) equals OpenSSL HKDF: %s', (_what, suiteId, salt, length) => {
    const ikm = Buffer.from('input keying material');
    const info = Buffer.from('context');
    const prk = labeledExtract(suiteId, salt, 'eae_prk', ikm);
    expect(prk).toHaveLength(32);
    const okm = labeledExpand(suiteId, prk, 'shared_secret', info, length);
    expect(okm.toString('hex')).toBe(
      reference(suiteId, salt, 'eae_prk', ikm, 'shared_secret', info, length).toString('hex'),
    );
  });

  it('treats an empty salt as Nh zero bytes (RFC 5869 §2.2)', () => {
    const suiteId = kemSuiteId(0x0020);
    expect(
      labeledExtract(suiteId, Buffer.alloc(0), 'x', Buffer.from('k')).equals(
        labeledExtract(suiteId, Buffer.alloc(32), 'x', Buffer.from('k')),
      ),
    ).toBe(true);
  });

  it.each([0, -1, 1.5, 255 * 32 + 1])('refuses to expand to %p bytes', (length) => {
    expect(() => labeledExpand(kemSuiteId(0x0020), Buffer.alloc(32), 'sk', Buffer.alloc(0), length)).toThrow(
      RangeError,
    );
  });
});
