import { Injectable } from '@nestjs/common';
import { AggregatorErrorCode, AggregatorException } from '../common/aggregator.exception.js';
import type { ActiveRound } from './active-round.js';

/** The open round of each running job, shared by the job runner (which drives it) and the federation service. */
@Injectable()
export class ActiveRounds {
  private readonly rounds = new Map<string, ActiveRound>();

  set(round: ActiveRound): void {
    this.rounds.set(round.jobId, round);
  }

  clear(jobId: string, round: ActiveRound): void {
    if (this.rounds.get(jobId) === round) this.rounds.delete(jobId);
  }

  all(): ActiveRound[] {
    return [...this.rounds.values()];
  }

  require(jobId: string, round: number): ActiveRound {
    const active = this.rounds.get(jobId);
    if (!active) {
      throw new AggregatorException(
        AggregatorErrorCode.JOB_NOT_RUNNING,
        `job ${jobId} has no open round (it is not running, or between rounds)`,
      );
    }
    if (active.round !== round) {
      throw new AggregatorException(
        AggregatorErrorCode.UPDATE_WRONG_ROUND,
        `job ${jobId} is in round ${active.round}, not round ${round}`,
      );
    }
    return active;
  }
}
