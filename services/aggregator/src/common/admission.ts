import { Subject, mergeMap } from 'rxjs';

/**
 * At most `limit` holders at a time, admitted in the order they asked. A holder keeps its place until it calls
 * the release function it was given (calling it again does nothing).
 */
export class Admission {
  private readonly requests = new Subject<(release: () => void) => void>();
  private held = 0;
  private waiting = 0;

  constructor(readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1)
      throw new RangeError(`an admission limit is a positive integer`);
    // mergeMap's concurrency is the queue: a request is granted when fewer than `limit` grants are unsettled.
    this.requests
      .pipe(mergeMap((grant) => new Promise<void>((release) => grant(release)), limit))
      .subscribe();
  }

  /** Holders admitted and not yet released, and requests waiting behind them. */
  get load(): { held: number; waiting: number } {
    return { held: this.held, waiting: this.waiting };
  }

  acquire(): Promise<() => void> {
    this.waiting++;
    return new Promise((resolve) => {
      this.requests.next((release) => {
        this.waiting--;
        this.held++;
        let released = false;
        resolve(() => {
          if (released) return;
          released = true;
          this.held--;
          release();
        });
      });
    });
  }
}
