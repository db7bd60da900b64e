import { DETAILS_LIMITS, sanitizeDetails } from './details.js';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return (err as { code?: string }).code;
  }
  return undefined;
}

describe('sanitizeDetails', () => {
  it('passes ordinary audit details through as a copy', () => {
    const details = {
      jobId: 'j1',
      round: 3,
      epsilon: 0.42,
      accepted: true,
      reason: null,
      silos: ['cleveland', 'hungary'],
      metrics: { auc: 0.91, accuracy: 0.83 },
      perSilo: [{ siloId: 'va', examples: 120 }],
    };
    const copy = sanitizeDetails(details);
    expect(copy).toEqual(details);
    expect(copy).not.toBe(details);
  });

  it('allows nesting to level 3 and refuses level 4', () => {
    expect(() => sanitizeDetails({ a: { b: { c: 1 } } })).not.toThrow();
    expect(() => sanitizeDetails({ a: [{ c: 'x' }] })).not.toThrow();
    expect(() => sanitizeDetails({ a: { b: { c: {} } } })).toThrow(
      /details \$\.a\.b\.c nests beyond level 3/,
    );
    expect(() => sanitizeDetails({ a: [[['x']]] })).toThrow(/\$\.a\[0\]\[0\] nests beyond level 3/);
  });

  it('allows strings of 2,000 characters and refuses 2,001, in values and in keys', () => {
    const max = 'x'.repeat(DETAILS_LIMITS.maxStringLength);
    expect(() => sanitizeDetails({ s: max })).not.toThrow();
    expect(codeOf(() => sanitizeDetails({ s: max + 'x' }))).toBe('DETAILS_INVALID');
    expect(codeOf(() => sanitizeDetails({ [max + 'x']: 1 }))).toBe('DETAILS_INVALID');
    expect(codeOf(() => sanitizeDetails({ a: { s: [max + 'x'] } }))).toBe('DETAILS_INVALID');
  });

  it('allows arrays of 64 items and refuses 65', () => {
    expect(() => sanitizeDetails({ a: Array.from({ length: 64 }, (_, i) => `s${i}`) })).not.toThrow();
    expect(() => sanitizeDetails({ a: Array.from({ length: 65 }, (_, i) => `s${i}`) })).toThrow(
      /\$\.a is an array of 65 items/,
    );
  });

  it('allows objects of 64 keys and refuses 65 (a feature vector spelled as an object)', () => {
    const wide = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`f${i}`, i * 0.5]));
    expect(() => sanitizeDetails(wide(64))).not.toThrow();
    expect(codeOf(() => sanitizeDetails(wide(65)))).toBe('DETAILS_INVALID');
    expect(codeOf(() => sanitizeDetails({ row: wide(65) }))).toBe('DETAILS_INVALID');
  });

  it('refuses any array holding a number, however short or mixed', () => {
    expect(() => sanitizeDetails({ features: [63, 1, 145.5] })).toThrow(
      /\$\.features\[0\] is a number inside an array/,
    );
    expect(codeOf(() => sanitizeDetails({ v: [0.5] }))).toBe('DETAILS_INVALID');
    expect(codeOf(() => sanitizeDetails({ v: ['age', 63] }))).toBe('DETAILS_INVALID');
    expect(codeOf(() => sanitizeDetails({ v: [{ ok: 'x' }, [1]] }))).toBe('DETAILS_INVALID');
    expect(() => sanitizeDetails({ v: [] })).not.toThrow();
  });

  it('refuses what is not a plain JSON object', () => {
    expect(codeOf(() => sanitizeDetails([]))).toBe('DETAILS_INVALID');
    expect(codeOf(() => sanitizeDetails(null))).toBe('DETAILS_INVALID');
    expect(codeOf(() => sanitizeDetails({ n: Number.NaN }))).toBe('DETAILS_INVALID');
  });
});
