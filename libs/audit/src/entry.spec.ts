import { AUDIT_ACTIONS, isKnownAuditAction } from './actions.js';
import {
  chainEntries,
  EMPTY_HEAD,
  entryHash,
  GENESIS_HASH,
  indexKeysOf,
  parseAuditEntry,
  prepareDraft,
  type AuditEntryInput,
} from './entry.js';

const JOB = '6f1c2a0e-0000-4000-8000-000000000001';
const submitted: AuditEntryInput = {
  time: '2025-03-01T12:00:00.000Z',
  actor: 'user:alice',
  action: 'job.submitted',
  subject: `job:${JOB}`,
  details: { rounds: 5, siloIds: ['cleveland', 'hungary'], model: 'logreg', note: 'é' },
};
const accepted: AuditEntryInput = {
  time: '2025-03-01T12:00:01.250Z',
  actor: 'aggregator',
  action: 'update.accepted',
  subject: `job:${JOB}`,
  details: { siloId: 'cleveland', round: 1, jobId: JOB, updateDigest: 'ab'.repeat(32) },
};

describe('entry hash chain', () => {
  it('matches an independent implementation of the documented encoding', () => {
    // python3: f = lambda b: struct.pack('>I', len(b)) + b
    //   h = sha256(f(b'cohort/v1/audit-entry') + struct.pack('>Q', seq) + f(time) + f(actor) + f(action)
    //              + f(subject) + f(canonical_details.encode()) + f(bytes.fromhex(prev))).hexdigest()
    // with canonical_details = '{"model":"logreg","note":"é","rounds":5,"siloIds":["cleveland","hungary"]}'
    // and, for entry 2, '{"jobId":"6f1c…0001","round":1,"siloId":"cleveland","updateDigest":"abab…ab"}'.
    const [first, second] = chainEntries(EMPTY_HEAD, [prepareDraft(submitted), prepareDraft(accepted)]);
    expect(first.seq).toBe(1);
    expect(first.prevHash).toBe(GENESIS_HASH);
    expect(first.hash).toBe('7ad7888a6e7bbb81aeee675e1124016f0905b20aa04e107f34eb360958b7bd74');
    expect(second.seq).toBe(2);
    expect(second.prevHash).toBe(first.hash);
    expect(second.hash).toBe('8d67550b384282032f0305317b53814aeac8c4017ffcb81f22e4a2573f6974ec');
  });

  it('continues from a given head', () => {
    const head = { seq: 41, hash: 'cd'.repeat(32) };
    const [entry] = chainEntries(head, [prepareDraft(submitted)]);
    expect(entry.seq).toBe(42);
    expect(entry.prevHash).toBe(head.hash);
    expect(entryHash(entry)).toBe(entry.hash);
  });

  it.each<[string, (e: ReturnType<typeof chainEntries>[number]) => void]>([
    ['seq', (e) => (e.seq = 2)],
    ['time', (e) => (e.time = '2025-03-01T12:00:00.001Z')],
    ['actor', (e) => (e.actor = 'user:alicf')],
    ['action', (e) => (e.action = 'job.cancelled')],
    ['subject', (e) => (e.subject = e.subject.replace('1', '2'))],
    ['a detail value', (e) => (e.details.rounds = 6)],
    ['a detail key', (e) => (e.details = { ...e.details, Rounds: 5 })],
    ['prevHash', (e) => (e.prevHash = '1' + e.prevHash.slice(1))],
  ])('changes when %s changes', (_field, change) => {
    const [entry] = chainEntries(EMPTY_HEAD, [prepareDraft(submitted)]);
    const before = entryHash(entry);
    const copy = structuredClone(entry);
    change(copy);
    expect(entryHash(copy)).not.toBe(before);
  });

  it('keeps field boundaries unambiguous', () => {
    const a = chainEntries(EMPTY_HEAD, [prepareDraft({ ...submitted, actor: 'user:al', subject: 'ice' })]);
    const b = chainEntries(EMPTY_HEAD, [prepareDraft({ ...submitted, actor: 'user:alic', subject: 'e' })]);
    expect(a[0].hash).not.toBe(b[0].hash);
  });

  it('copies details, so changing the caller’s object later changes nothing', () => {
    const details: Record<string, unknown> = { jobId: JOB };
    const draft = prepareDraft({ ...submitted, details });
    details.jobId = 'other';
    expect(draft.details.jobId).toBe(JOB);
    expect(Object.isFrozen(draft)).toBe(true);
  });

  it('checks drafts that did not come from prepareDraft', () => {
    const forged = { ...prepareDraft(submitted), action: 'Job.Submitted' };
    expect(() => chainEntries(EMPTY_HEAD, [forged])).toThrow(
      expect.objectContaining({ code: 'ENTRY_INVALID' }),
    );
  });
});

describe('prepareDraft', () => {
  it('stamps the time of the call as ISO-8601 UTC with milliseconds', () => {
    const draft = prepareDraft(
      { ...submitted, time: undefined },
      () => new Date(Date.UTC(2025, 0, 2, 3, 4, 5, 6)),
    );
    expect(draft.time).toBe('2025-01-02T03:04:05.006Z');
    expect(prepareDraft({ ...submitted, time: new Date(0) }).time).toBe('1970-01-01T00:00:00.000Z');
  });

  it('accepts every listed action and any new dotted one', () => {
    for (const action of AUDIT_ACTIONS) expect(prepareDraft({ ...submitted, action }).action).toBe(action);
    expect(prepareDraft({ ...submitted, action: 'dataset.registered' }).action).toBe('dataset.registered');
    expect(isKnownAuditAction('dataset.registered')).toBe(false);
    expect(isKnownAuditAction('update.sent')).toBe(true);
  });

  it.each<[string, Partial<AuditEntryInput> | Record<string, unknown>, string]>([
    ['an empty actor', { actor: '' }, 'ENTRY_INVALID'],
    ['an empty subject', { subject: '' }, 'ENTRY_INVALID'],
    ['a formula-like actor', { actor: '=HYPERLINK("x")' }, 'ENTRY_INVALID'],
    ['a newline in the subject', { subject: 'job:1\njob:2' }, 'ENTRY_INVALID'],
    ['a lone surrogate in the actor', { actor: 'user:\ud800' }, 'ENTRY_INVALID'],
    ['an undotted action', { action: 'submitted' }, 'ENTRY_INVALID'],
    ['an upper-case action', { action: 'Job.Submitted' }, 'ENTRY_INVALID'],
    ['an action with a digit', { action: 'job.v2' }, 'ENTRY_INVALID'],
    ['a time without milliseconds', { time: '2025-03-01T12:00:00Z' }, 'ENTRY_INVALID'],
    ['a time with an offset', { time: '2025-03-01T12:00:00.000+01:00' }, 'ENTRY_INVALID'],
    ['an impossible date', { time: '2025-02-30T12:00:00.000Z' }, 'ENTRY_INVALID'],
    ['an invalid Date', { time: new Date(Number.NaN) }, 'ENTRY_INVALID'],
    ['details that are an array', { details: [1] }, 'DETAILS_INVALID'],
    ['a non-finite detail', { details: { epsilon: Infinity } }, 'DETAILS_INVALID'],
    ['a Date in details', { details: { at: new Date() } }, 'DETAILS_INVALID'],
    ['a NUL character in details', { details: { reason: 'a\u0000b' } }, 'DETAILS_INVALID'],
    ['a lone surrogate in a detail key', { details: { ['k\udc00']: 1 } }, 'DETAILS_INVALID'],
  ])('refuses %s', (_what, change, code) => {
    expect(() => prepareDraft({ ...submitted, ...change })).toThrow(expect.objectContaining({ code }));
  });
});

describe('parseAuditEntry', () => {
  it('accepts an entry as exported and refuses wrong types', () => {
    const [entry] = chainEntries(EMPTY_HEAD, [prepareDraft(submitted)]);
    expect(parseAuditEntry(JSON.parse(JSON.stringify(entry)))).toEqual(entry);
    expect(() => parseAuditEntry({ ...entry, seq: '1' })).toThrow(
      expect.objectContaining({ code: 'ENTRY_INVALID' }),
    );
    expect(() => parseAuditEntry({ ...entry, seq: 0 })).toThrow(/seq must be a positive integer/);
    expect(() => parseAuditEntry({ ...entry, actor: 7 })).toThrow(/entry 1: actor must be a string/);
    expect(() => parseAuditEntry({ ...entry, details: null })).toThrow(/details must be a JSON object/);
  });
});

describe('indexKeysOf', () => {
  it('takes jobId and siloId from details first, then the subject, then (silo) the actor', () => {
    expect(indexKeysOf({ actor: 'aggregator', subject: 'job:j1', details: { siloId: 's1' } })).toEqual({
      jobId: 'j1',
      siloId: 's1',
    });
    expect(indexKeysOf({ actor: 'user:bob', subject: 'silo:hungary', details: { jobId: 'j2' } })).toEqual({
      jobId: 'j2',
      siloId: 'hungary',
    });
    expect(indexKeysOf({ actor: 'silo:va', subject: 'job:j3', details: {} })).toEqual({
      jobId: 'j3',
      siloId: 'va',
    });
    expect(indexKeysOf({ actor: 'gateway', subject: 'model:m', details: { jobId: 5 } })).toEqual({
      jobId: null,
      siloId: null,
    });
  });
});
