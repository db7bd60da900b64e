import { canonicalJson, isPlainObject } from './canonical-json.js';

function sparse(): unknown[] {
  const array: unknown[] = new Array(3);
  array[0] = 1;
  array[2] = 3;
  return array;
}

describe('canonicalJson', () => {
  it('sorts keys at every level and writes no whitespace', () => {
    expect(canonicalJson({ b: 1, a: { d: [true, null], c: 'x' } })).toBe(
      '{"a":{"c":"x","d":[true,null]},"b":1}',
    );
  });

  it('orders keys by UTF-16 code units, as RFC 8785 does', () => {
    // RFC 8785 §3.2.3: "\r" < "1" < "\u0080" < "\u00f6" < "\u20ac" < "\ud83d\ude00" < "\ufb33".
    const value = { '\ufb33': 0, '\u20ac': 1, '\ud83d\ude00': 2, '\u00f6': 3, '\u0080': 4, '1': 5, '\r': 6 };
    expect(canonicalJson(value)).toBe(
      '{"\\r":6,"1":5,"\u0080":4,"\u00f6":3,"\u20ac":1,"\ud83d\ude00":2,"\ufb33":0}',
    );
  });

  it('writes numbers as ECMAScript does (RFC 8785 §3.2.2.3 examples)', () => {
    expect(
      canonicalJson([1e21, 1e-7, 0.1 + 0.2, -0, Number('333333333.33333329'), 5e-324, 9007199254740992]),
    ).toBe('[1e+21,1e-7,0.30000000000000004,0,333333333.3333333,5e-324,9007199254740992]');
  });

  it('escapes strings as JSON.stringify does', () => {
    expect(canonicalJson({ s: 'a"b\\c\n\u0001é€' })).toBe('{"s":"a\\"b\\\\c\\n\\u0001é€"}');
  });

  it('gives the same text however the keys were inserted', () => {
    const one = { x: 1, y: { p: 2, q: 3 } };
    const two = { y: { q: 3, p: 2 }, x: 1 };
    expect(canonicalJson(one)).toBe(canonicalJson(two));
  });

  it.each<[string, unknown, RegExp]>([
    ['NaN', { n: Number.NaN }, /\$\.n is NaN/],
    ['Infinity', { n: [1, Infinity] }, /\$\.n\[1\] is Infinity/],
    ['undefined', { u: undefined }, /\$\.u is a undefined/],
    ['a bigint', { b: 1n }, /is a bigint/],
    ['a function', { f: () => 1 }, /is a function/],
    ['a Date', { d: new Date(0) }, /is a Date/],
    ['a Map', { m: new Map() }, /is a Map/],
    ['a Buffer', { b: Buffer.alloc(1) }, /is a Buffer/],
    ['a sparse array', { a: sparse() }, /\$\.a\[1\] is a hole/],
  ])('refuses %s as DETAILS_INVALID, naming the path', (_what, value, message) => {
    expect(() => canonicalJson(value)).toThrow(expect.objectContaining({ code: 'DETAILS_INVALID' }));
    expect(() => canonicalJson(value)).toThrow(message);
  });

  it('refuses a cycle instead of overflowing the stack', () => {
    const a: Record<string, unknown> = {};
    a.self = a;
    expect(() => canonicalJson(a)).toThrow(expect.objectContaining({ code: 'DETAILS_INVALID' }));
  });

  it('accepts null-prototype objects and JSON.parse results as plain', () => {
    const bare = Object.create(null) as Record<string, unknown>;
    bare.k = 1;
    expect(canonicalJson(bare)).toBe('{"k":1}');
    expect(isPlainObject(JSON.parse('{"__proto__":1}'))).toBe(true);
    expect(canonicalJson(JSON.parse('{"__proto__":1}'))).toBe('{"__proto__":1}');
    expect(isPlainObject([])).toBe(false);
    expect(isPlainObject(new (class Point {})())).toBe(false);
  });
});
