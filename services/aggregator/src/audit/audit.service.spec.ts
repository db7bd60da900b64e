import { generateKeyPairSync } from 'node:crypto';
import { AuditLog, MemoryAuditStore, readAuditExport, verifyAuditExport } from '@cohort/audit';
import { AuditService } from './audit.service.js';
import { AuditTrail } from './audit-trail.service.js';

async function serviceWithEntries(n: number) {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const store = new MemoryAuditStore();
  const log = new AuditLog({ store, signingKey: privateKey });
  const trail = new AuditTrail(log, {} as any);
  for (let i = 1; i <= n; i++) {
    await trail.record(`user:u${i % 2}`, i % 3 === 0 ? 'job.cancelled' : 'job.submitted', `job:j${i}`, {
      jobId: `j${i}`,
    });
    if (i % 4 === 0) await log.checkpoint();
  }
  return { service: new AuditService(store, [publicKey], trail), store, log, publicKey };
}

describe('AuditService (the JobsService audit calls)', () => {
  it('pages through a filter, with the total and the cursor for the next page', async () => {
    const { service } = await serviceWithEntries(10);
    const first = await service.list({
      filter: {
        jobId: '',
        siloId: '',
        actor: 'user:u1',
        actions: [],
        subject: '',
        sinceUnixMs: 0,
        untilUnixMs: 0,
      },
      afterSeq: 0,
      limit: 3,
      requestedBy: 'carol',
    });
    expect(first.entries.map((e) => e.seq)).toEqual([1, 3, 5]);
    expect(first.total).toBe(5);
    expect(first.nextAfterSeq).toBe(5);
    const rest = await service.list({ filter: undefined, afterSeq: 8, limit: 100, requestedBy: '' });
    expect(rest.entries.map((e) => e.seq)).toEqual([9, 10]);
    expect(rest.nextAfterSeq).toBe(0);
    expect(JSON.parse(rest.entries[0].detailsJson)).toEqual({ jobId: 'j9' });
  });

  it('exports a trail that verifies offline, and audits the export under the principal', async () => {
    const { service, publicKey, store } = await serviceWithEntries(9);
    let text = '';
    for await (const line of service.export({ filter: undefined, format: 'jsonl', requestedBy: 'carol' }))
      text += line;
    const exported = await readAuditExport(text);
    const verdict = await verifyAuditExport(exported, [publicKey]);
    expect(verdict.ok).toBe(true);
    const [last] = await store.listEntries({ action: 'audit.exported' });
    expect(last).toMatchObject({ actor: 'user:carol', action: 'audit.exported' });
    await expect(
      (async () => {
        for await (const _ of service.export({ filter: undefined, format: 'xml', requestedBy: 'c' })) void _;
      })(),
    ).rejects.toMatchObject({ code: 'AUDIT_REQUEST_INVALID' });
  });

  it('verifies the stored trail and names the signer', async () => {
    const { service, log } = await serviceWithEntries(8);
    await log.checkpoint();
    const v = await service.verify();
    expect(v).toMatchObject({
      ok: true,
      entries: 8,
      checkpoints: 2,
      firstBrokenSeq: 0,
      uncheckpointedTail: 0,
    });
    expect(v.signers).toHaveLength(1);
  });

  it('lets the gateway record only its own events', async () => {
    const { service } = await serviceWithEntries(1);
    const entry = await service.record({
      actor: 'user:mallory',
      action: 'auth.refused',
      subject: 'gateway:/v1/jobs',
      detailsJson: '{"code":"TOKEN_EXPIRED"}',
    });
    expect(entry).toMatchObject({ seq: 2, actor: 'user:mallory', action: 'auth.refused' });
    await expect(
      service.record({ actor: 'user:m', action: 'job.completed', subject: 'job:x', detailsJson: '{}' }),
    ).rejects.toMatchObject({ code: 'AUDIT_REQUEST_INVALID' });
    await expect(
      service.record({ actor: 'user:m', action: 'auth.refused', subject: 'g', detailsJson: '[1,2]' }),
    ).rejects.toMatchObject({ code: 'AUDIT_REQUEST_INVALID' });
  });
});
