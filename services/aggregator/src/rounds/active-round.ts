import { randomBytes, timingSafeEqual } from 'node:crypto';
import { WeightsEncoding, type Metrics } from '@cohort/protocol';
import { AggregatorErrorCode, AggregatorException } from '../common/aggregator.exception.js';

export type RoundPhase = 'training' | 'evaluating' | 'closed';

export interface AcceptedUpdate {
  siloId: string;
  exampleCount: number;
  trainMs: number;
  /** Hex SHA-256 of the sealed update as received: what the silo's own log records as sent. */
  updateDigest: string;
}

/**
 * The host's view of one open round: who is expected, their nonces, whose updates the enclave accepted, and the
 * held-out metrics reported back. The updates themselves are folded into the mean inside the enclave.
 */
export class ActiveRound {
  phase: RoundPhase = 'training';
  /** When the round stopped taking updates (quorum plus grace, all in, or the deadline). */
  closedTraining: number | undefined;
  readonly nonces = new Map<string, Buffer>();
  readonly accepted = new Map<string, AcceptedUpdate>();
  readonly metrics = new Map<string, Metrics>();
  /** Silos whose upload is being handed to the enclave: a second upload meanwhile is a replay. */
  readonly inFlight = new Set<string>();
  /** A DP round: updates carry no example count and no per-silo metric is taken. */
  differentiallyPrivate = false;
  /** The job's wire encoding: the only one its updates may arrive in. */
  encoding: WeightsEncoding = WeightsEncoding.WEIGHTS_ENCODING_FLOAT32;
  /** Settles once the round is recorded and open in the enclave; uploads are processed only after. */
  ready: Promise<void> = Promise.resolve();
  private readonly expected: Set<string>;
  private wake: (() => void) | undefined;

  constructor(
    readonly jobId: string,
    readonly round: number,
    readonly parameterCount: number,
    participants: string[],
  ) {
    this.expected = new Set(participants);
    for (const silo of participants) this.nonces.set(silo, randomBytes(16));
  }

  get participants(): string[] {
    return [...this.expected];
  }

  isParticipant(siloId: string): boolean {
    return this.nonces.has(siloId);
  }

  /** Checks everything about an update's header that can be checked before a byte of payload is read. */
  admit(siloId: string, nonce: Uint8Array): void {
    if (this.phase !== 'training') {
      if (this.accepted.has(siloId)) throw duplicateUpdate(this.jobId, this.round, siloId);
      throw lateUpdate(this.jobId, this.round, this.closedTraining);
    }
    const expectedNonce = this.nonces.get(siloId);
    if (!expectedNonce) {
      throw new AggregatorException(
        AggregatorErrorCode.UPDATE_NOT_PARTICIPANT,
        `silo ${siloId} is not a participant of round ${this.round} of job ${this.jobId}`,
      );
    }
    if (nonce.byteLength !== expectedNonce.byteLength || !timingSafeEqual(nonce, expectedNonce)) {
      throw new AggregatorException(
        AggregatorErrorCode.UPDATE_BAD_NONCE,
        `the update's nonce does not match the one issued to silo ${siloId} for round ${this.round}`,
      );
    }
    if (this.accepted.has(siloId) || this.inFlight.has(siloId))
      throw duplicateUpdate(this.jobId, this.round, siloId);
  }

  /** Records that the enclave folded this silo's update in; its nonce is spent. */
  markAccepted(update: AcceptedUpdate): void {
    this.accepted.set(update.siloId, update);
    this.notify();
  }

  /** A participant that disconnected or declined is no longer waited for. */
  drop(siloId: string): void {
    if (this.expected.delete(siloId)) this.notify();
  }

  recordMetrics(siloId: string, metrics: Metrics): void {
    if (this.phase !== 'evaluating' || !this.accepted.has(siloId)) {
      throw new AggregatorException(
        AggregatorErrorCode.METRICS_INVALID,
        `metrics from silo ${siloId} for round ${this.round} of job ${this.jobId} are not expected now`,
      );
    }
    this.metrics.set(siloId, metrics);
    this.notify();
  }

  get trainingComplete(): boolean {
    return [...this.expected].every((s) => this.accepted.has(s));
  }

  get evaluationComplete(): boolean {
    return [...this.accepted.keys()].every((s) => this.metrics.has(s) || !this.expected.has(s));
  }

  /** Resolves when `done()` holds, when something changes and `done()` then holds, or at the deadline. */
  async waitUntil(done: () => boolean, deadline: number, abort: AbortSignal): Promise<void> {
    while (!done() && Date.now() < deadline && !abort.aborted) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(finish, Math.max(0, deadline - Date.now()));
        const onAbort = (): void => finish();
        abort.addEventListener('abort', onAbort, { once: true });
        function finish(): void {
          clearTimeout(timer);
          abort.removeEventListener('abort', onAbort);
          resolve();
        }
        this.wake = finish;
      });
      this.wake = undefined;
    }
  }

  private notify(): void {
    this.wake?.();
  }
}

/** An update for a round that has stopped taking them: final for that round, counted with it. */
export function lateUpdate(jobId: string, round: number, closedAt: number | undefined): AggregatorException {
  const when = closedAt ? ` at ${new Date(closedAt).toISOString()}` : '';
  return new AggregatorException(
    AggregatorErrorCode.UPDATE_LATE,
    `round ${round} of job ${jobId} closed${when}; this update came too late for it and is counted as late (the next round's task will follow)`,
  );
}

export function duplicateUpdate(jobId: string, round: number, siloId: string): AggregatorException {
  return new AggregatorException(
    AggregatorErrorCode.UPDATE_DUPLICATE,
    `silo ${siloId} already delivered its update for round ${round} of job ${jobId} (replays are refused)`,
  );
}
