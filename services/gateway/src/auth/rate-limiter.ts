/**
 * A fixed one-minute window per caller: simple, memory bounded by the callers seen this minute, and enough to
 * stop one script from starving everybody else. Not shared between gateway replicas (each counts its own).
 */
export class RateLimiter {
  private windowStart = 0;
  private counts = new Map<string, number>();

  constructor(
    private readonly perMinute: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Counts one request for `key`; returns 0 when allowed, else the seconds until the window resets. */
  take(key: string): number {
    if (this.perMinute <= 0) return 0;
    const t = this.now();
    if (t - this.windowStart >= 60_000) {
      this.windowStart = t - (t % 60_000);
      this.counts = new Map();
    }
    const n = (this.counts.get(key) ?? 0) + 1;
    this.counts.set(key, n);
    return n > this.perMinute ? Math.ceil((this.windowStart + 60_000 - t) / 1000) : 0;
  }
}
