import { Injectable } from '@nestjs/common';
import { AggregatorErrorCode, AggregatorException } from '../common/aggregator.exception.js';
import type { ActiveRound } from './active-round.js';

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
  }

  all(): ActiveRound[] {
    return [...this.rounds.values()];
  }

  require(jobId: string, round: number): ActiveRound {
    const active = this.rounds.get(key(jobId, round));
    if (active) return active;
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
