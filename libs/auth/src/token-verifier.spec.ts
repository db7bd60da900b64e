import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type JSONWebKeySet, type JWTPayload } from 'jose';
import { AuthError, type AuthErrorCode } from './auth-error.js';
import { DevIssuer } from './dev-issuer.js';
import { createTokenVerifier, type TokenVerifierOptions } from './token-verifier.js';

const ISSUER = 'http://127.0.0.1:8080/dev-issuer';
const AUDIENCE = 'cohort-gateway';

async function failure(promise: Promise<unknown>): Promise<AuthError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof AuthError) return error;
    throw error;
  }
  throw new Error('expected an AuthError, but the promise resolved');
}

async function codeOf(promise: Promise<unknown>): Promise<AuthErrorCode> {
  return (await failure(promise)).code;
}

const secondsFromNow = (seconds: number): Date => new Date(Date.now() + seconds * 1000);

/** A key of the test's own, to sign tokens the development issuer would never mint (no sub, HS256 …). */
async function craftingKey(): Promise<{ jwks: JSONWebKeySet; sign(claims: JWTPayload): Promise<string> }> {
  const { privateKey, publicKey } = await generateKeyPair('EdDSA');
  const jwk = { ...(await exportJWK(publicKey)), kid: 'crafted', alg: 'EdDSA', use: 'sig' };
  return {
    jwks: { keys: [jwk] },
    sign: (claims) =>
      new SignJWT(claims).setProtectedHeader({ alg: 'EdDSA', kid: 'crafted', typ: 'JWT' }).sign(privateKey),
  };
}

function unsignedToken(claims: JWTPayload): string {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'none', typ: 'JWT' })}.${part(claims)}.`;
}

function validClaims(overrides: JWTPayload = {}): JWTPayload {
  const now = Math.floor(Date.now() / 1000);
  return {
    iss: ISSUER,
    aud: AUDIENCE,
    sub: 'alice',
    exp: now + 600,
    iat: now,
    roles: ['researcher'],
    ...overrides,
  };
}

describe('createTokenVerifier with a local key set', () => {
  let dev: DevIssuer;
  const verifier = (options: Partial<TokenVerifierOptions> = {}) =>
    createTokenVerifier({ issuer: ISSUER, audience: AUDIENCE, jwks: dev.jwks(), ...options });

  beforeAll(async () => {
    dev = await DevIssuer.create({ issuer: ISSUER });
  });

  it('verifies a Bearer header into a principal', async () => {
    const token = await dev.mint({
      subject: 'u-123',
      name: 'alice',
      roles: ['researcher', 'compliance'],
      audience: AUDIENCE,
      ttlSeconds: 600,
    });

    const principal = await verifier().verify(`Bearer ${token}`);

    expect(principal).toEqual({
      subject: 'u-123',
      name: 'alice',
      roles: ['researcher', 'compliance'],
      issuer: ISSUER,
      expiresAt: expect.any(Date),
    });
    expect(Math.abs(principal.expiresAt.getTime() - (Date.now() + 600_000))).toBeLessThan(5000);
  });

  it('accepts a bare token and a lower-case scheme, and names the principal by sub without a username', async () => {
    const token = await dev.mint({ subject: 'u-9', roles: ['admin'], audience: AUDIENCE });

    expect((await verifier().verify(token)).name).toBe('u-9');
    expect((await verifier().verify(`bearer   ${token}`)).subject).toBe('u-9');
  });

  it('reads the name from a configured username claim', async () => {
    const token = await dev.mint({
      subject: 'u-9',
      roles: ['admin'],
      audience: AUDIENCE,
      claims: { email: 'bob@hospital.example' },
    });

    expect((await verifier({ usernameClaim: 'email' }).verify(token)).name).toBe('bob@hospital.example');
  });

  it.each([[undefined], [''], ['   '], ['Bearer'], ['Bearer   ']])('TOKEN_MISSING for %j', async (header) => {
    expect(await codeOf(verifier().verify(header))).toBe('TOKEN_MISSING');
  });

  it.each([
    ['another scheme', 'Basic dXNlcjpwYXNz'],
    ['not a JWT', 'Bearer not-a-jwt'],
    ['two parts', 'Bearer abc.def'],
    ['garbage parts', 'Bearer abc.def.ghi'],
    ['too long', `Bearer ${'a'.repeat(20_000)}.b.c`],
  ])('TOKEN_MALFORMED for %s', async (_label, header) => {
    expect(await codeOf(verifier().verify(header))).toBe('TOKEN_MALFORMED');
  });

  it('TOKEN_EXPIRED beyond the clock tolerance, naming the expiry but not the token', async () => {
    const expiresAt = secondsFromNow(-120);
    const token = await dev.mint({ subject: 'alice', roles: ['researcher'], audience: AUDIENCE, expiresAt });

    const error = await failure(verifier().verify(token));

    expect(error.code).toBe('TOKEN_EXPIRED');
    expect(error.message).toContain(new Date(Math.floor(expiresAt.getTime() / 1000) * 1000).toISOString());
    expect(error.message).not.toContain(token.split('.')[1]);
  });

  it('accepts a token expired within the clock tolerance, and refuses it without tolerance', async () => {
    const token = await dev.mint({
      subject: 'alice',
      roles: ['researcher'],
      audience: AUDIENCE,
      expiresAt: secondsFromNow(-30),
    });

    expect((await verifier().verify(token)).subject).toBe('alice');
    expect(await codeOf(verifier({ clockToleranceSeconds: 0 }).verify(token))).toBe('TOKEN_EXPIRED');
  });

  it('TOKEN_NOT_YET_VALID for nbf beyond the tolerance; nbf within it passes', async () => {
    const later = await dev.mint({
      subject: 'alice',
      roles: ['researcher'],
      audience: AUDIENCE,
      notBefore: secondsFromNow(600),
    });
    const soon = await dev.mint({
      subject: 'alice',
      roles: ['researcher'],
      audience: AUDIENCE,
      notBefore: secondsFromNow(30),
    });

    expect(await codeOf(verifier().verify(later))).toBe('TOKEN_NOT_YET_VALID');
    expect((await verifier().verify(soon)).subject).toBe('alice');
  });

  it('TOKEN_ISSUER for a token of another issuer, naming both', async () => {
    const token = await dev.mint({ subject: 'alice', roles: ['researcher'], audience: AUDIENCE });
    const other = 'https://keycloak.hospital.example/realms/cohort';

    const error = await failure(verifier({ issuer: other }).verify(token));

    expect(error.code).toBe('TOKEN_ISSUER');
    expect(error.message).toContain(ISSUER);
    expect(error.message).toContain(other);
  });

  it('TOKEN_AUDIENCE for a token for another service; an audience list containing ours passes', async () => {
    const elsewhere = await dev.mint({ subject: 'alice', roles: ['researcher'], audience: 'billing' });
    const several = await dev.mint({
      subject: 'alice',
      roles: ['researcher'],
      audience: ['billing', AUDIENCE],
    });

    const error = await failure(verifier().verify(elsewhere));

    expect(error.code).toBe('TOKEN_AUDIENCE');
    expect(error.message).toContain('billing');
    expect((await verifier().verify(several)).subject).toBe('alice');
  });

  it('TOKEN_SIGNATURE for a token of another key, with another kid or the same kid', async () => {
    const impostor = await DevIssuer.create({ issuer: ISSUER });
    const sameKid = await DevIssuer.create({ issuer: ISSUER, kid: dev.kid });
    const request = { subject: 'alice', roles: ['admin'], audience: AUDIENCE };

    expect(impostor.kid).not.toBe(dev.kid);
    expect(await codeOf(verifier().verify(await impostor.mint(request)))).toBe('TOKEN_SIGNATURE');
    expect(await codeOf(verifier().verify(await sameKid.mint(request)))).toBe('TOKEN_SIGNATURE');
  });

  it('TOKEN_SIGNATURE for a genuine token whose claims were altered', async () => {
    const token = await dev.mint({ subject: 'alice', roles: ['researcher'], audience: AUDIENCE });
    const [header, payload, signature] = token.split('.');
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
    const forged = Buffer.from(JSON.stringify({ ...claims, roles: ['admin'] })).toString('base64url');

    expect(await codeOf(verifier().verify(`${header}.${forged}.${signature}`))).toBe('TOKEN_SIGNATURE');
  });

  it('TOKEN_ALGORITHM for alg none and for HS256, before any key is looked up', async () => {
    const hs256 = await new SignJWT(validClaims())
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .sign(new TextEncoder().encode('a shared secret of at least 32 bytes!!'));

    const none = await failure(verifier().verify(unsignedToken(validClaims())));
    const hmac = await failure(verifier().verify(hs256));

    expect(none.code).toBe('TOKEN_ALGORITHM');
    expect(none.message).toContain('"none"');
    expect(hmac.code).toBe('TOKEN_ALGORITHM');
    expect(hmac.message).toContain('HS256');
  });

  it('TOKEN_ALGORITHM for an asymmetric algorithm the configuration does not allow', async () => {
    const es256 = await DevIssuer.create({ issuer: ISSUER, algorithm: 'ES256' });
    const token = await es256.mint({ subject: 'alice', roles: ['researcher'], audience: AUDIENCE });

    expect(await codeOf(verifier({ jwks: es256.jwks(), allowedAlgorithms: ['EdDSA'] }).verify(token))).toBe(
      'TOKEN_ALGORITHM',
    );
    expect((await verifier({ jwks: es256.jwks() }).verify(token)).subject).toBe('alice');
  });

  it('TOKEN_MALFORMED for a signed token without sub or exp', async () => {
    const crafted = await craftingKey();
    const withoutSub = validClaims();
    delete withoutSub.sub;
    const withoutExp = validClaims();
    delete withoutExp.exp;

    expect(await codeOf(verifier({ jwks: crafted.jwks }).verify(await crafted.sign(withoutSub)))).toBe(
      'TOKEN_MALFORMED',
    );
    expect(await codeOf(verifier({ jwks: crafted.jwks }).verify(await crafted.sign(withoutExp)))).toBe(
      'TOKEN_MALFORMED',
    );
    expect((await verifier({ jwks: crafted.jwks }).verify(await crafted.sign(validClaims()))).subject).toBe(
      'alice',
    );
  });

  it.each([
    ['no role claim', { claims: {} }, 'is absent'],
    ['an empty list', { roles: [] }, 'holds no role name'],
    ['only unknown roles', { roles: ['nurse', 'offline_access'] }, 'nurse'],
  ])('ROLE_MISSING for %s', async (_label, shape, says) => {
    const token = await dev.mint({
      subject: 'alice',
      audience: AUDIENCE,
      roles: 'roles' in shape ? shape.roles : [],
    });
    const roleClaim = 'claims' in shape ? 'groups' : 'roles';

    const error = await failure(verifier({ roleClaim }).verify(token));

    expect(error.code).toBe('ROLE_MISSING');
    expect(error.message).toContain(says);
  });

  it('ignores unknown role strings next to a known one, and duplicates', async () => {
    const token = await dev.mint({
      subject: 'alice',
      roles: ['nurse', 'compliance', 'uma_authorization', 'compliance'],
      audience: AUDIENCE,
    });

    expect((await verifier().verify(token)).roles).toEqual(['compliance']);
  });

  it('reads roles at a dotted path (Keycloak realm_access.roles)', async () => {
    const keycloakLike = await DevIssuer.create({ issuer: ISSUER, roleClaim: 'realm_access.roles' });
    const token = await keycloakLike.mint({
      subject: 'alice',
      roles: ['default-roles-cohort', 'site-admin'],
      audience: AUDIENCE,
    });
    const jwks = keycloakLike.jwks();

    expect((await verifier({ jwks, roleClaim: 'realm_access.roles' }).verify(token)).roles).toEqual([
      'site-admin',
    ]);
    expect(await codeOf(verifier({ jwks }).verify(token))).toBe('ROLE_MISSING');
  });

  it('reads a role claim that is a single string as well as an array', async () => {
    const token = await dev.mint({
      subject: 'alice',
      roles: [],
      audience: AUDIENCE,
      claims: { role: 'compliance' },
    });

    expect((await verifier({ roleClaim: 'role' }).verify(token)).roles).toEqual(['compliance']);
  });

  it('refuses development tokens when told to (TOKEN_DEV_REJECTED)', async () => {
    const token = await dev.mint({ subject: 'alice', roles: ['admin'], audience: AUDIENCE });

    expect(await codeOf(verifier({ rejectDevTokens: true }).verify(token))).toBe('TOKEN_DEV_REJECTED');
    expect((await verifier({ rejectDevTokens: false }).verify(token)).roles).toEqual(['admin']);
  });

  it.each<[string, Partial<TokenVerifierOptions>]>([
    ['HS256 allowed', { allowedAlgorithms: ['RS256', 'HS256'] }],
    ['none allowed', { allowedAlgorithms: ['none'] }],
    ['no algorithm', { allowedAlgorithms: [] }],
    ['an empty audience', { audience: '' }],
    ['an issuer that is no URL', { issuer: 'keycloak' }],
    [
      'discovery over plain http to another host',
      { issuer: 'http://keycloak.hospital.example/realms/cohort', jwks: undefined },
    ],
    ['a key set over plain http to another host', { jwks: undefined, jwksUri: 'http://idp.example/keys' }],
    ['an ftp issuer', { issuer: 'ftp://idp.example/realms/cohort' }],
    ['both jwks and jwksUri', { jwksUri: 'https://idp.example/keys' }],
    ['a negative tolerance', { clockToleranceSeconds: -1 }],
    ['an empty role claim', { roleClaim: '' }],
  ])('INVALID_ARGUMENT for %s', (_label, options) => {
    let code: string | undefined;
    try {
      verifier(options);
    } catch (error) {
      code = (error as AuthError).code;
    }
    expect(code).toBe('INVALID_ARGUMENT');
  });

  it('fetches over plain http from another host only when told to; a local key set fetches nothing', () => {
    const issuer = 'http://keycloak.internal/realms/cohort';

    expect(() => verifier({ issuer, jwks: undefined, allowInsecureHttp: true })).not.toThrow();
    expect(() =>
      verifier({ issuer: 'https://keycloak.hospital.example/realms/cohort', jwks: undefined }),
    ).not.toThrow();
    expect(() => verifier({ issuer })).not.toThrow();
  });
});

interface TestIdp {
  base: string;
  issuer: string;
  requests: string[];
  /** Replaces the answer to one path. */
  answer: Map<string, (response: ServerResponse) => void>;
  close(): Promise<void>;
}

async function startIdp(): Promise<TestIdp> {
  const requests: string[] = [];
  const answer = new Map<string, (response: ServerResponse) => void>();
  const server: Server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const path = request.url ?? '';
    requests.push(path);
    const handler = answer.get(path);
    if (handler) return handler(response);
    response.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  let closed = false;
  return {
    base,
    issuer: `${base}/realms/cohort`,
    requests,
    answer,
    close: async () => {
      if (closed) return;
      closed = true;
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function json(body: unknown): (response: ServerResponse) => void {
  return (response) =>
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

describe('createTokenVerifier with a remote issuer', () => {
  const DISCOVERY = '/realms/cohort/.well-known/openid-configuration';
  const CERTS = '/realms/cohort/protocol/openid-connect/certs';
  let idp: TestIdp;
  let dev: DevIssuer;

  beforeEach(async () => {
    idp = await startIdp();
    dev = await DevIssuer.create({ issuer: idp.issuer });
    idp.answer.set(DISCOVERY, json({ issuer: idp.issuer, jwks_uri: `${idp.base}${CERTS}` }));
    idp.answer.set(CERTS, json(dev.jwks()));
  });

  afterEach(async () => {
    await idp.close();
  });

  const mint = () => dev.mint({ subject: 'alice', roles: ['researcher'], audience: AUDIENCE });

  it('discovers the key set once and verifies with it', async () => {
    const verifier = createTokenVerifier({ issuer: idp.issuer, audience: AUDIENCE });

    const [first, second] = await Promise.all([verifier.verify(await mint()), verifier.verify(await mint())]);
    const third = await verifier.verify(await mint());

    expect([first.subject, second.subject, third.subject]).toEqual(['alice', 'alice', 'alice']);
    expect(idp.requests.filter((path) => path === DISCOVERY)).toHaveLength(1);
    expect(idp.requests.filter((path) => path === CERTS)).toHaveLength(1);
  });

  it('finds the discovery document of an issuer with a trailing slash', async () => {
    const issuer = `${idp.issuer}/`;
    const slashed = await DevIssuer.create({ issuer });
    idp.answer.set(DISCOVERY, json({ issuer, jwks_uri: `${idp.base}${CERTS}` }));
    idp.answer.set(CERTS, json(slashed.jwks()));
    const token = await slashed.mint({ subject: 'alice', roles: ['researcher'], audience: AUDIENCE });

    expect((await createTokenVerifier({ issuer, audience: AUDIENCE }).verify(token)).issuer).toBe(issuer);
  });

  it('uses a given jwksUri without discovery', async () => {
    const verifier = createTokenVerifier({
      issuer: idp.issuer,
      audience: AUDIENCE,
      jwksUri: `${idp.base}${CERTS}`,
    });

    expect((await verifier.verify(await mint())).subject).toBe('alice');
    expect(idp.requests).toEqual([CERTS]);
  });

  it('ISSUER_UNREACHABLE when the issuer is down, naming the URL and not the token', async () => {
    const verifier = createTokenVerifier({ issuer: idp.issuer, audience: AUDIENCE });
    const token = await mint();
    await idp.close();

    const error = await failure(verifier.verify(token));

    expect(error.code).toBe('ISSUER_UNREACHABLE');
    expect(error.message).toContain(`${idp.issuer}/.well-known/openid-configuration`);
    expect(error.message).toContain('ECONNREFUSED');
    expect(error.message).not.toContain(token.split('.')[1]);
  });

  it('ISSUER_UNREACHABLE when the key set is down', async () => {
    const verifier = createTokenVerifier({
      issuer: idp.issuer,
      audience: AUDIENCE,
      jwksUri: `${idp.base}${CERTS}`,
    });
    const token = await mint();
    await idp.close();

    const error = await failure(verifier.verify(token));

    expect(error.code).toBe('ISSUER_UNREACHABLE');
    expect(error.message).toContain(CERTS);
  });

  it('ISSUER_UNREACHABLE for a failed discovery, and tries again on the next request', async () => {
    const verifier = createTokenVerifier({ issuer: idp.issuer, audience: AUDIENCE });
    const token = await mint();
    idp.answer.set(DISCOVERY, (response) => response.writeHead(503).end());

    const error = await failure(verifier.verify(token));
    idp.answer.set(DISCOVERY, json({ issuer: idp.issuer, jwks_uri: `${idp.base}${CERTS}` }));

    expect(error.code).toBe('ISSUER_UNREACHABLE');
    expect(error.message).toContain('HTTP 503');
    expect((await verifier.verify(token)).subject).toBe('alice');
  });

  it.each<[string, (idp: TestIdp) => unknown]>([
    ['names another issuer', (idp) => ({ issuer: 'https://evil.example', jwks_uri: `${idp.base}/certs` })],
    ['has no jwks_uri', (idp) => ({ issuer: idp.issuer })],
    ['is not an object', () => ['keys']],
    [
      'points at plain http elsewhere',
      (idp) => ({ issuer: idp.issuer, jwks_uri: 'http://evil.example/keys' }),
    ],
  ])('ISSUER_UNREACHABLE when the discovery document %s', async (_label, document) => {
    idp.answer.set(DISCOVERY, json(document(idp)));
    const verifier = createTokenVerifier({ issuer: idp.issuer, audience: AUDIENCE });

    expect(await codeOf(verifier.verify(await mint()))).toBe('ISSUER_UNREACHABLE');
  });

  it('ISSUER_UNREACHABLE when the key set is not a key set', async () => {
    idp.answer.set(CERTS, json({ not: 'keys' }));
    const verifier = createTokenVerifier({ issuer: idp.issuer, audience: AUDIENCE });

    expect(await codeOf(verifier.verify(await mint()))).toBe('ISSUER_UNREACHABLE');
  });

  it('TOKEN_SIGNATURE, not ISSUER_UNREACHABLE, for a key the issuer does not publish', async () => {
    const impostor = await DevIssuer.create({ issuer: idp.issuer });
    const verifier = createTokenVerifier({ issuer: idp.issuer, audience: AUDIENCE });
    const token = await impostor.mint({ subject: 'alice', roles: ['admin'], audience: AUDIENCE });

    const error = await failure(verifier.verify(token));

    expect(error.code).toBe('TOKEN_SIGNATURE');
    expect(error.message).toContain(impostor.kid);
  });

  it('TOKEN_ALGORITHM for alg none without contacting the issuer', async () => {
    const verifier = createTokenVerifier({ issuer: idp.issuer, audience: AUDIENCE });

    expect(await codeOf(verifier.verify(unsignedToken(validClaims({ iss: idp.issuer }))))).toBe(
      'TOKEN_ALGORITHM',
    );
    expect(idp.requests).toEqual([]);
  });
});
