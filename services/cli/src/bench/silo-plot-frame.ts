import { BLACK, Canvas, GREY } from '../demo/png-canvas.js';

/** The frame the bench's plots share: a 640 × 420 canvas with the number of silos on a logarithmic x axis. */
export class SiloPlotFrame {
  readonly c = new Canvas(640, 420);
  readonly left = 80;
  readonly right = 640 - 30;
  readonly top = 50;
  readonly bottom = 420 - 60;
  private readonly lo: number;
  private readonly hi: number;

  constructor(readonly silos: readonly number[]) {
    this.lo = Math.log10(Math.min(...silos));
    this.hi = Math.log10(Math.max(...silos));
  }

  xOf(n: number): number {
    return (
      this.left + 20 + ((Math.log10(n) - this.lo) / (this.hi - this.lo || 1)) * (this.right - this.left - 40)
    );
  }

  /** A grey gridline at each of `ticks` (milliseconds, labelled in ms or s), both axes, and a tick per silo count. */
  axes(ticks: readonly number[], yOf: (ms: number) => number): void {
    const { c, left, right, top, bottom } = this;
    for (const v of ticks) {
      c.line(left, yOf(v), right, yOf(v), GREY);
      c.text(left - 70, yOf(v) - 5, v >= 1000 ? `${v / 1000} s` : `${v} ms`, BLACK);
    }
    c.line(left, top, left, bottom, BLACK);
    c.line(left, bottom, right, bottom, BLACK);
    for (const n of this.silos) {
      c.line(this.xOf(n), bottom, this.xOf(n), bottom + 5, BLACK);
      c.text(this.xOf(n) - 8, bottom + 12, String(n), BLACK);
    }
    c.text((left + right) / 2 - 30, bottom + 36, 'N silos', BLACK);
  }
}
