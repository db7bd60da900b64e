import { BLACK, Canvas, GREY, PALETTE, type Rgb } from './png-canvas.js';

export interface SweepPoint {
  /** null: the non-private model (ε = ∞). */
  epsilon: number | null;
  accuracy: number;
  auc: number | null;
}

const BLUE = PALETTE[0];
const ORANGE = PALETTE[1];

/**
 * The privacy sweep as a PNG: held-out accuracy (blue) and AUC (orange) of the union of test sets against the
 * target ε on a log axis, with the non-private model at ∞ ("inf") on the right.
 */
export async function writeSweepPlot(path: string, points: SweepPoint[]): Promise<void> {
  const W = 640;
  const H = 400;
  const canvas = new Canvas(W, H);
  const set = (x: number, y: number, c: Rgb): void => canvas.set(x, y, c);
  const line = (x0: number, y0: number, x1: number, y1: number, c: Rgb): void =>
    canvas.line(x0, y0, x1, y1, c);
  const text = (x: number, y: number, s: string, c: Rgb, scale = 2): void => canvas.text(x, y, s, c, scale);

  const left = 70;
  const right = W - 30;
  const top = 30;
  const bottom = H - 60;
  const finite = points.filter((p) => p.epsilon !== null).map((p) => p.epsilon as number);
  const lo = Math.log10(Math.min(...finite, 0.5));
  const hi = Math.log10(Math.max(...finite, 8));
  const infX = right - 20;
  const xOf = (eps: number | null): number =>
    eps === null ? infX : left + 20 + ((Math.log10(eps) - lo) / (hi - lo || 1)) * (infX - 80 - left);
  const yOf = (v: number): number => bottom - ((v - 0.5) / 0.5) * (bottom - top);

  for (let v = 0.5; v <= 1.0001; v += 0.1) {
    line(left, yOf(v), right, yOf(v), GREY);
    text(left - 50, yOf(v) - 5, `${Math.round(v * 100)}%`, BLACK);
  }
  line(left, top, left, bottom, BLACK);
  line(left, bottom, right, bottom, BLACK);
  for (const p of points) {
    const x = xOf(p.epsilon);
    line(x, bottom, x, bottom + 5, BLACK);
    text(x - 8, bottom + 12, p.epsilon === null ? 'inf' : String(p.epsilon), BLACK);
  }
  text((left + right) / 2 - 4, bottom + 36, 'ε', BLACK, 3);
  const series: [keyof SweepPoint, Rgb][] = [
    ['accuracy', BLUE],
    ['auc', ORANGE],
  ];
  for (const [key, colour] of series) {
    const pts = points
      .filter((p) => typeof p[key] === 'number')
      .map((p) => [xOf(p.epsilon), yOf(p[key] as number)] as const);
    for (let i = 1; i < pts.length; i++) line(pts[i - 1][0], pts[i - 1][1], pts[i][0], pts[i][1], colour);
    for (const [x, y] of pts)
      for (let dx = -3; dx <= 3; dx++) for (let dy = -3; dy <= 3; dy++) set(x + dx, y + dy, colour);
  }
  text(left + 10, top - 20, 'Accuracy', BLUE);
  text(left + 120, top - 20, 'AUC', ORANGE);
  await canvas.save(path);
}
