import { requestIdFrom } from './request-id.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('requestIdFrom', () => {
  it("keeps a caller's short, plain id", () => {
    expect(requestIdFrom('lb-7f3a.1:2_x')).toBe('lb-7f3a.1:2_x');
    expect(requestIdFrom(['first', 'second'])).toBe('first');
    expect(requestIdFrom('a'.repeat(128))).toBe('a'.repeat(128));
  });

  it('replaces a missing, empty, long or unsafe one with a fresh UUID v4', () => {
    for (const bad of [
      undefined,
      '',
      'a'.repeat(129),
      'two words',
      'x\r\nSet-Cookie: a=b',
      '<script>',
      'é',
    ]) {
      expect(requestIdFrom(bad)).toMatch(UUID);
    }
    expect(requestIdFrom(undefined)).not.toBe(requestIdFrom(undefined));
  });
});
