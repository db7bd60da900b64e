import { missingMatcher, parseCell } from './cell.js';

describe('parseCell', () => {
  it.each([
    ['2.3', 2.3],
    ['.7', 0.7],
    ['-1e2', -100],
    ['145.0', 145],
  ])('parses %s as a number', (text, value) => {
    expect(parseCell(text, 'x', 'number')).toEqual({ ok: true, value });
  });

  it.each(['abc', '0x10', 'Infinity', 'NaN', '1,5', ''])('rejects %p as a number', (text) => {
    expect(parseCell(text, 'chol', 'number')).toEqual({
      ok: false,
      reason: `column "chol": "${text}" is not a number`,
    });
  });

  it('accepts an integer written with a zero fraction and rejects a fractional one', () => {
    expect(parseCell('3.0', 'cp', 'integer')).toEqual({ ok: true, value: 3 });
    expect(parseCell('1.5', 'cp', 'integer')).toEqual({ ok: false, reason: 'column "cp": "1.5" is not an integer' });
  });
});

describe('missingMatcher', () => {
  it('matches marker texts, and numeric markers however the number is written', () => {
    const isMissing = missingMatcher(['?', '0']);
    expect(['?', '0', '0.0', '-0'].map(isMissing)).toEqual([true, true, true, true]);
    expect(['', '10', '0.5', 'x'].map(isMissing)).toEqual([false, false, false, false]);
  });
});
