import { SealingError } from './errors.js';
import { updateAad } from './update-aad.js';

function aadErrorCode(run: () => unknown): string | undefined {
  try {
    run();
  } catch (e) {
    return e instanceof SealingError ? e.code : 'not a SealingError';
  }
  return undefined;
}

describe('updateAad', () => {
  it('encodes domain, job, round and silo canonically', () => {
    const aad = updateAad({ jobId: 'j', round: 258, siloId: 'sé' });
    const expected = Buffer.concat([
      Buffer.from([0, 0, 0, 20]),
      Buffer.from('cohort/v1/update-aad'),
      Buffer.from([0, 0, 0, 1]),
      Buffer.from('j'),
      Buffer.from([0, 0, 0, 0, 0, 0, 1, 2]),
      Buffer.from([0, 0, 0, 3]),
      Buffer.from('s\u00e9'),
    ]);
    expect(aad.toString('hex')).toBe(expected.toString('hex'));
  });

  it('is deterministic', () => {
    const fields = { jobId: 'job-1', round: 0, siloId: 'silo-a' };
    expect(updateAad(fields).equals(updateAad({ ...fields }))).toBe(true);
  });

  it('never lets one header encode like another', () => {
    const headers = [
      { jobId: 'ab', round: 1, siloId: 'c' },
      { jobId: 'a', round: 1, siloId: 'bc' },
      { jobId: 'c', round: 1, siloId: 'ab' },
      { jobId: 'ab', round: 2, siloId: 'c' },
      { jobId: 'ab', round: 256, siloId: 'c' },
    ];
    const encodings = new Set(headers.map((h) => updateAad(h).toString('hex')));
    expect(encodings.size).toBe(headers.length);
  });

  it.each([-1, 1.5, Number.NaN, Number.MAX_SAFE_INTEGER + 1])(
    'refuses round %p with AAD_INVALID',
    (round) => {
      expect(aadErrorCode(() => updateAad({ jobId: 'j', round, siloId: 's' }))).toBe('AAD_INVALID');
    },
  );

  it('refuses empty ids and lone surrogates with AAD_INVALID', () => {
    for (const fields of [
      { jobId: '', round: 0, siloId: 's' },
      { jobId: 'j', round: 0, siloId: '' },
      { jobId: 'j\ud800', round: 0, siloId: 's' },
    ]) {
      expect(aadErrorCode(() => updateAad(fields))).toBe('AAD_INVALID');
    }
  });

  it('binds a wire encoding other than float32; float32 AADs are the bytes they always were', () => {
    const base = { jobId: 'job-1', round: 3, siloId: 'cleveland' };
    expect(updateAad({ ...base, wireEncoding: 'float32' })).toEqual(updateAad(base));
    const int8 = updateAad({ ...base, wireEncoding: 'int8' });
    expect(int8.subarray(0, updateAad(base).byteLength)).toEqual(updateAad(base));
    expect(int8).not.toEqual(updateAad({ ...base, wireEncoding: 'float16' }));
    expect(aadErrorCode(() => updateAad({ ...base, wireEncoding: '' }))).toBe('AAD_INVALID');
  });
});
