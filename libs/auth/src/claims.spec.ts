import { AuthError } from './auth-error.js';
import { claimAt, describe as quote, extractToken, readRoleClaim } from './claims.js';

function codeOf(run: () => unknown): string | undefined {
  try {
    run();
  } catch (error) {
    if (error instanceof AuthError) return error.code;
    throw error;
  }
  return undefined;
}

describe('extractToken', () => {
  it('takes the token out of a Bearer header or a bare token', () => {
    expect(extractToken('Bearer aaa.bbb.ccc')).toBe('aaa.bbb.ccc');
    expect(extractToken('  BEARER\taaa.bbb.ccc  ')).toBe('aaa.bbb.ccc');
    expect(extractToken('aaa.bbb.ccc')).toBe('aaa.bbb.ccc');
  });

  it('never puts the offending value in its message', () => {
    const secretish = 'Bearer eyJhbGciOi.not a token at all';
    let message = '';
    try {
      extractToken(secretish);
    } catch (error) {
      message = (error as Error).message;
    }

    expect(message).not.toBe('');
    expect(message).not.toContain('eyJhbGciOi');
  });

  it('tells a missing token from a malformed one', () => {
    expect(codeOf(() => extractToken(undefined))).toBe('TOKEN_MISSING');
    expect(codeOf(() => extractToken('Bearer'))).toBe('TOKEN_MISSING');
    expect(codeOf(() => extractToken('Bearer a.b'))).toBe('TOKEN_MALFORMED');
    expect(codeOf(() => extractToken('Token aaa.bbb.ccc'))).toBe('TOKEN_MALFORMED');
    expect(codeOf(() => extractToken('aaa.bbb.ccc.ddd'))).toBe('TOKEN_MALFORMED');
  });
});

describe('claimAt', () => {
  const claims = {
    roles: ['researcher'],
    realm_access: { roles: ['admin'] },
    resource_access: { 'cohort-gateway': { roles: ['compliance'] } },
    'https://cohort.example/roles': ['site-admin'],
    list: [{ roles: ['admin'] }],
  };

  it('walks dotted paths, and prefers a claim whose own name has dots', () => {
    expect(claimAt(claims, 'roles')).toEqual(['researcher']);
    expect(claimAt(claims, 'realm_access.roles')).toEqual(['admin']);
    expect(claimAt(claims, 'resource_access.cohort-gateway.roles')).toEqual(['compliance']);
    expect(claimAt(claims, 'https://cohort.example/roles')).toEqual(['site-admin']);
  });

  it('finds nothing through arrays, missing segments or inherited properties', () => {
    expect(claimAt(claims, 'list.0.roles')).toBeUndefined();
    expect(claimAt(claims, 'realm_access.groups')).toBeUndefined();
    expect(claimAt(claims, 'roles.length')).toBeUndefined();
    expect(claimAt(claims, 'constructor')).toBeUndefined();
    expect(claimAt(claims, 'realm_access.toString')).toBeUndefined();
  });
});

describe('readRoleClaim', () => {
  it('keeps known roles once, in the claim’s order, and reports the others', () => {
    expect(readRoleClaim({ r: ['admin', 'x', 'researcher', 'admin', 3, null] }, 'r')).toEqual({
      roles: ['admin', 'researcher'],
      unknown: ['x'],
      present: true,
    });
  });

  it('treats a string as one role and any other value as none', () => {
    expect(readRoleClaim({ r: 'admin' }, 'r').roles).toEqual(['admin']);
    expect(readRoleClaim({ r: { admin: true } }, 'r')).toEqual({ roles: [], unknown: [], present: true });
    expect(readRoleClaim({}, 'r').present).toBe(false);
  });
});

describe('describe', () => {
  it('quotes token-supplied text so it cannot break a log line, and cuts it short', () => {
    expect(quote('evil\nINFO forged')).toBe('"evil\\nINFO forged"');
    expect(quote('x'.repeat(500), 10)).toBe(`"${'x'.repeat(9)}…`);
    expect(quote(undefined)).toBe('(none)');
    expect(quote(10n)).toBe('10');
  });
});
