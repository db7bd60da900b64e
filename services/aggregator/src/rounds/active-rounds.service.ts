import { Injectable } from '@nestjs/common';
import { AggregatorErrorCode, AggregatorException } from '../common/aggregator.exception.js';
import { duplicateUpdate, lateUpdate, type ActiveRound } from './active-round.js';

const MAX_REMEMBERED_CLOSED = 10_000;

/**
 * The open rounds of running jobs, shared by the job runner (which drives them) and the federation service.
 * A job has at most two: one training, and the previous one still collecting held-out metrics.
 */
@Injectable()
export class ActiveRounds {
  private readonly rounds = new Map<string, ActiveRound>();

  set(round: ActiveRound): void {
    this.rounds.set(key(round.jobId, round.round), round);
  }

  clear(round: ActiveRound): void {
    const k = key(round.jobId, round.round);
    if (this.rounds.get(k) === round) this.rounds.delete(k);
    this.closed.set(k, { at: round.closedTraining ?? Date.now(), accepted: new Set(round.accepted.keys()) });
    // Enough to recognise stragglers of recent rounds; older ones get the generic answers.
    if (this.closed.size > MAX_REMEMBERED_CLOSED)
      this.closed.delete(this.closed.keys().next().value as string);
  }

  private readonly closed = new Map<string, { at: number; accepted: ReadonlySet<string> }>();

  all(): ActiveRound[] {
    return [...this.rounds.values()];
  }

  /** The open round, or the refusal that fits: a replay, a straggler of a closed round, a wrong round. */
  require(jobId: string, round: number, siloId?: string): ActiveRound {
    const active = this.rounds.get(key(jobId, round));
    if (active) return active;
    const closed = this.closed.get(key(jobId, round));
    if (closed && siloId !== undefined && closed.accepted.has(siloId))
      throw duplicateUpdate(jobId, round, siloId);
    if (closed) throw lateUpdate(jobId, round, closed.at);
    const open = this.all()
      .filter((r) => r.jobId === jobId)
      .map((r) => r.round);
    if (open.length === 0) {
      throw new AggregatorException(
        AggregatorErrorCode.JOB_NOT_RUNNING,
        `job ${jobId} has no open round (it is not running, or between rounds)`,
      );
    }
    throw new AggregatorException(
      AggregatorErrorCode.UPDATE_WRONG_ROUND,
      `job ${jobId} is in round ${Math.max(...open)}, not round ${round}`,
    );
  }
}

function key(jobId: string, round: number): string {
  return `${jobId}#${round}`;
}
