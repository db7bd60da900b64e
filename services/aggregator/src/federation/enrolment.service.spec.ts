import { generateKeyPairSync } from 'node:crypto';
import { migrate, openTestDatabase, type TestDatabase } from '@cohort/storage';
import { AggregatorException } from '../common/aggregator.exception.js';
import { MIGRATIONS_DIR } from '../database/database.providers.js';
import { EnrolmentService } from './enrolment.service.js';
import { SiloRepository } from './silo.repository.js';
import { SiloSessions } from './silo-sessions.service.js';

function publicKeyRaw(): Buffer {
  const { x } = generateKeyPairSync('ed25519').publicKey.export({ format: 'jwk' });
  return Buffer.from(x!, 'base64url');
}

describe('EnrolmentService: one-time, expiring join tokens', () => {
  let database: TestDatabase;
  let silos: SiloRepository;
  let service: EnrolmentService;
  const lines: { fields: any; msg: string }[] = [];
  const trail: [string, string, string, Record<string, unknown>][] = [];
  const audit = {
    record: (...entry: [string, string, string, Record<string, unknown>]) => {
      trail.push(entry);
      return Promise.resolve();
    },
    recordRefusal: (...entry: [string, string, string, Record<string, unknown>]) => {
      trail.push(entry);
      return Promise.resolve();
    },
  } as any;

  beforeAll(async () => {
    database = await openTestDatabase();
    await migrate(database.db, MIGRATIONS_DIR);
    silos = new SiloRepository(database.db);
    const log = { info: (fields: any, msg: string) => lines.push({ fields, msg }) } as any;
    log.warn = log.info;
    service = new EnrolmentService(
      silos,
      new SiloSessions(),
      // The agent's attestation is tested on its own; here every token passes.
      { verify: () => Promise.resolve({}) } as any,
      { invalidate: () => undefined } as any,
      // Without a local CA no certificate is issued, so none is needed here.
      { tls: undefined } as any,
      { caCertPem: '' } as any,
      log,
      audit,
    );
  }, 60_000);

  afterAll(async () => {
    await database?.close();
  });

  function enrol(siloName: string, joinToken: string) {
    return service
      .enrol({
        siloName,
        joinToken,
        siloPublicKey: publicKeyRaw(),
        agentAttestationToken: 'ok',
        tlsCsrPem: '',
      })
      .then(
        (r) => ({ ok: true as const, siloId: r.siloId }),
        (err: unknown) => {
          if (!(err instanceof AggregatorException)) throw err;
          return { ok: false as const, code: err.code };
        },
      );
  }

  it('refuses an expired token (JOIN_TOKEN_EXPIRED) without spending it; a new invitation works', async () => {
    const { joinToken } = await service.invite('ivan', 60, 'site-admin');
    // The shortest lifetime is a minute: the token is made to expire in the database instead of waiting.
    await database.db.query(
      `UPDATE join_tokens SET expires_at = now() - interval '1 second' WHERE silo_name = 'ivan'`,
    );
    expect(await enrol('ivan', joinToken)).toEqual({ ok: false, code: 'JOIN_TOKEN_EXPIRED' });
    expect(lines).toContainEqual({
      fields: expect.objectContaining({ audit: true, siloName: 'ivan', code: 'JOIN_TOKEN_EXPIRED' }),
      msg: 'enrolment refused',
    });
    expect(trail).toContainEqual([
      'silo:ivan',
      'silo.enrolment_refused',
      'silo:ivan',
      expect.objectContaining({ siloId: 'ivan', code: 'JOIN_TOKEN_EXPIRED' }),
    ]);
    expect(await silos.get('ivan')).toMatchObject({ status: 'invited', publicKey: null });
    const [token] = await database.db.query<{ usedAt: Date | null }>(
      `SELECT used_at AS "usedAt" FROM join_tokens WHERE silo_name = 'ivan'`,
    );
    expect(token.usedAt).toBeNull();

    const fresh = await service.invite('ivan', 60, 'site-admin');
    expect(await enrol('ivan', fresh.joinToken)).toEqual({ ok: true, siloId: 'ivan' });
    expect(await silos.get('ivan')).toMatchObject({ status: 'enrolled' });
    expect(trail).toContainEqual([
      'silo:ivan',
      'silo.enrolled',
      'silo:ivan',
      expect.objectContaining({ siloId: 'ivan' }),
    ]);
    expect(trail).toContainEqual([
      'user:site-admin',
      'silo.invited',
      'silo:ivan',
      expect.objectContaining({ siloId: 'ivan' }),
    ]);
  });

  it('refuses a used token (JOIN_TOKEN_USED), one for another silo (WRONG_SILO) and an unknown one', async () => {
    const judy = await service.invite('judy', 3600, 'site-admin');
    expect(await enrol('judy', judy.joinToken)).toEqual({ ok: true, siloId: 'judy' });
    const before = await silos.get('judy');
    expect(await enrol('judy', judy.joinToken)).toEqual({ ok: false, code: 'JOIN_TOKEN_USED' });
    // The key enrolled first stays.
    expect((await silos.get('judy'))?.keyFingerprint).toBe(before?.keyFingerprint);

    const kim = await service.invite('kim', 3600, 'site-admin');
    expect(await enrol('mallory', kim.joinToken)).toEqual({ ok: false, code: 'JOIN_TOKEN_WRONG_SILO' });
    expect(await enrol('kim', `cjt_${'A'.repeat(43)}`)).toEqual({ ok: false, code: 'JOIN_TOKEN_UNKNOWN' });
    expect(await enrol('kim', 'not a token')).toEqual({ ok: false, code: 'JOIN_TOKEN_UNKNOWN' });
    expect(await enrol('kim', kim.joinToken)).toEqual({ ok: true, siloId: 'kim' });
  });

  it('refuses a revoked silo, at enrolment and at invitation (SILO_REVOKED)', async () => {
    const leo = await service.invite('leo', 3600, 'site-admin');
    await service.revoke('leo', 'site-admin', 'laptop stolen');
    expect(await enrol('leo', leo.joinToken)).toEqual({ ok: false, code: 'SILO_REVOKED' });
    await expect(service.invite('leo', 3600, 'site-admin')).rejects.toMatchObject({ code: 'SILO_REVOKED' });
  });
});
