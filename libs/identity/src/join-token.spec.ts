import { createHash } from 'node:crypto';
import {
  constantTimeEqual,
  createJoinToken,
  hashJoinToken,
  isJoinTokenFormat,
  joinTokenExpired,
  joinTokenMatches,
} from './join-token.js';

const NOW = 1_700_000_000_000;
const HOUR = 3_600_000;

describe('createJoinToken', () => {
  it("is 'cjt_' and 32 random bytes in base64url, with its SHA-256 and expiry", () => {
    const { token, tokenHash, expiresAtUnixMs } = createJoinToken('cleveland', 24 * HOUR, NOW);

    expect(token).toMatch(/^cjt_[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(token.slice(4), 'base64url')).toHaveLength(32);
    expect(tokenHash).toBe(createHash('sha256').update(token).digest('hex'));
    expect(expiresAtUnixMs).toBe(NOW + 24 * HOUR);
  });

  it('never repeats', () => {
    const tokens = new Set(Array.from({ length: 100 }, () => createJoinToken('va', HOUR, NOW).token));
    expect(tokens.size).toBe(100);
  });

  it.each<[string, string, number, number]>([
    ['an empty silo name', '  ', HOUR, NOW],
    ['a zero lifetime', 'va', 0, NOW],
    ['a negative lifetime', 'va', -HOUR, NOW],
    ['a fractional lifetime', 'va', 1.5, NOW],
    ['an infinite lifetime', 'va', Number.POSITIVE_INFINITY, NOW],
    ['an expiry beyond 2^53', 'va', Number.MAX_SAFE_INTEGER, NOW],
  ])('refuses %s', (_what, name, ttl, now) => {
    expect(() => createJoinToken(name, ttl, now)).toThrow(
      expect.objectContaining({ code: 'JOIN_TOKEN_INVALID_REQUEST' }),
    );
  });
});

describe('hashJoinToken', () => {
  it('is the hex SHA-256 of the whole token text (known answer)', () => {
    const token = `cjt_${Buffer.alloc(32).toString('base64url')}`;
    // printf 'cjt_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' | sha256sum
    expect(hashJoinToken(token)).toBe('778b86a9bc2cf89f2992d1ae1c3d5ede003d14e7215bfa2dfebae6329a8fa984');
  });

  it.each([
    ['an empty string', ''],
    ['a missing prefix', Buffer.alloc(32).toString('base64url')],
    ['another prefix', `cjx_${Buffer.alloc(32).toString('base64url')}`],
    ['a truncated token', `cjt_${Buffer.alloc(31).toString('base64url')}`],
    ['a padded token', `cjt_${Buffer.alloc(32).toString('base64')}`],
    ['standard base64 characters', `cjt_${'+'.repeat(43)}`],
    ['trailing whitespace', `cjt_${Buffer.alloc(32).toString('base64url')}\n`],
    ['a non-canonical last character', `cjt_${'A'.repeat(42)}B`],
  ])('refuses %s as JOIN_TOKEN_MALFORMED', (_what, token) => {
    expect(isJoinTokenFormat(token)).toBe(false);
    expect(() => hashJoinToken(token)).toThrow(expect.objectContaining({ code: 'JOIN_TOKEN_MALFORMED' }));
  });

  it('does not echo the token in its error', () => {
    const secret = `cjt_${'A'.repeat(42)}`;
    expect(() => hashJoinToken(secret)).toThrow(
      expect.not.objectContaining({ message: expect.stringContaining(secret) }),
    );
  });
});

describe('joinTokenMatches and constantTimeEqual', () => {
  it('matches the token against its stored hash only', () => {
    const a = createJoinToken('cleveland', HOUR, NOW);
    const b = createJoinToken('hungary', HOUR, NOW);

    expect(joinTokenMatches(a.token, a.tokenHash)).toBe(true);
    expect(joinTokenMatches(a.token, b.tokenHash)).toBe(false);
    expect(joinTokenMatches('cjt_short', a.tokenHash)).toBe(false);
    expect(joinTokenMatches(a.token, a.tokenHash.toUpperCase())).toBe(false);
    expect(joinTokenMatches(a.token, a.tokenHash.slice(2))).toBe(false);
  });

  it('compares bytes', () => {
    expect(constantTimeEqual(Buffer.from('abc'), Buffer.from('abc'))).toBe(true);
    expect(constantTimeEqual(Buffer.from('abc'), Buffer.from('abd'))).toBe(false);
    expect(constantTimeEqual(Buffer.from('abc'), Buffer.from('abcd'))).toBe(false);
    expect(constantTimeEqual(new Uint8Array(0), new Uint8Array(0))).toBe(true);
  });
});

describe('joinTokenExpired', () => {
  it('is usable strictly before its expiry instant and expired from it on', () => {
    const { expiresAtUnixMs } = createJoinToken('va', HOUR, NOW);

    expect(joinTokenExpired(expiresAtUnixMs, NOW)).toBe(false);
    expect(joinTokenExpired(expiresAtUnixMs, NOW + HOUR - 1)).toBe(false);
    expect(joinTokenExpired(expiresAtUnixMs, NOW + HOUR)).toBe(true);
    expect(joinTokenExpired(expiresAtUnixMs, NOW + 2 * HOUR)).toBe(true);
  });

  it('treats an unreadable expiry as expired', () => {
    expect(joinTokenExpired(Number.NaN, NOW)).toBe(true);
  });
});
