import { RateLimiter } from './rate-limiter.js';

describe('RateLimiter', () => {
  it('allows perMinute requests per key in a window, then says how long to wait', () => {
    let t = 120_000 + 45_000;
    const limiter = new RateLimiter(3, () => t);
    expect([limiter.take('a'), limiter.take('a'), limiter.take('a')]).toEqual([0, 0, 0]);
    expect(limiter.take('a')).toBe(15);
    expect(limiter.take('b')).toBe(0);
    t += 15_000;
    expect(limiter.take('a')).toBe(0);
  });

  it('is off at 0', () => {
    const limiter = new RateLimiter(0);
    for (let i = 0; i < 100; i++) expect(limiter.take('a')).toBe(0);
  });
});
