import { ActiveRounds } from './active-rounds.service.js';
import { ActiveRound } from './active-round.js';
import { AggregatorException } from '../common/aggregator.exception.js';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
    return undefined;
  } catch (err) {
    return err instanceof AggregatorException ? err.code : 'unexpected';
  }
}

describe('ActiveRound', () => {
  it('issues one 16-byte nonce per participant and admits only the matching one, once', () => {
    const round = new ActiveRound('job', 3, 11, ['a', 'b']);
    const nonceA = round.nonces.get('a')!;
    expect(nonceA).toHaveLength(16);
    expect(nonceA.equals(round.nonces.get('b')!)).toBe(false);
    expect(codeOf(() => round.admit('a', nonceA))).toBeUndefined();
    expect(codeOf(() => round.admit('a', round.nonces.get('b')!))).toBe('UPDATE_BAD_NONCE');
    expect(codeOf(() => round.admit('c', nonceA))).toBe('UPDATE_NOT_PARTICIPANT');
    round.inFlight.add('a');
    expect(codeOf(() => round.admit('a', nonceA))).toBe('UPDATE_DUPLICATE');
    round.inFlight.delete('a');
    round.markAccepted({ siloId: 'a', exampleCount: 10, trainMs: 5, updateDigest: 'ab' });
    expect(codeOf(() => round.admit('a', nonceA))).toBe('UPDATE_DUPLICATE');
    round.phase = 'evaluating';
    expect(codeOf(() => round.admit('b', round.nonces.get('b')!))).toBe('UPDATE_LATE');
  });

  it('completes training when every participant still expected has delivered', () => {
    const round = new ActiveRound('job', 1, 11, ['a', 'b', 'c']);
    round.markAccepted({ siloId: 'a', exampleCount: 1, trainMs: 1, updateDigest: 'ab' });
    expect(round.trainingComplete).toBe(false);
    round.drop('b');
    round.markAccepted({ siloId: 'c', exampleCount: 1, trainMs: 1, updateDigest: 'ab' });
    expect(round.trainingComplete).toBe(true);
  });

  it('takes metrics only from silos whose update counted, and only while evaluating', () => {
    const round = new ActiveRound('job', 1, 11, ['a', 'b']);
    const m = { loss: 0.5, accuracy: 0.8, examples: 10, positiveHistogram: [], negativeHistogram: [] };
    round.markAccepted({ siloId: 'a', exampleCount: 1, trainMs: 1, updateDigest: 'ab' });
    expect(codeOf(() => round.recordMetrics('a', m))).toBe('METRICS_INVALID');
    round.phase = 'evaluating';
    expect(codeOf(() => round.recordMetrics('b', m))).toBe('METRICS_INVALID');
    round.recordMetrics('a', m);
    round.drop('b');
    expect(round.evaluationComplete).toBe(true);
  });

  it('wakes a waiter as soon as the condition holds, long before its deadline', async () => {
    const round = new ActiveRound('job', 1, 11, ['a']);
    const started = Date.now();
    setTimeout(
      () => round.markAccepted({ siloId: 'a', exampleCount: 1, trainMs: 1, updateDigest: 'ab' }),
      20,
    );
    await round.waitUntil(() => round.trainingComplete, Date.now() + 10_000, new AbortController().signal);
    expect(round.trainingComplete).toBe(true);
    expect(Date.now() - started).toBeLessThan(2000);
  });
});

describe('ActiveRounds after a round closed', () => {
  it('answers a replay as a duplicate and anyone else as late, naming when the round closed', () => {
    const rounds = new ActiveRounds();
    const round = new ActiveRound('job', 1, 4, ['a', 'b']);
    rounds.set(round);
    round.markAccepted({ siloId: 'a', exampleCount: 1, trainMs: 1, updateDigest: 'ab' });
    round.phase = 'evaluating';
    round.closedTraining = Date.parse('2026-11-27T10:00:00Z');
    expect(codeOf(() => round.admit('a', round.nonces.get('a')!))).toBe('UPDATE_DUPLICATE');
    expect(codeOf(() => round.admit('b', round.nonces.get('b')!))).toBe('UPDATE_LATE');
    rounds.clear(round);
    expect(codeOf(() => rounds.require('job', 1, 'a'))).toBe('UPDATE_DUPLICATE');
    let late: unknown;
    try {
      rounds.require('job', 1, 'b');
    } catch (err) {
      late = err;
    }
    expect(late).toMatchObject({ code: 'UPDATE_LATE' });
    expect((late as Error).message).toContain('closed at 2026-11-27T10:00:00.000Z');
    expect(codeOf(() => rounds.require('job', 2, 'b'))).toBe('JOB_NOT_RUNNING');
  });
});
