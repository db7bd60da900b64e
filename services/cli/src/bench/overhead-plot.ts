import { BLACK, Canvas, GREY, PALETTE } from '../demo/png-canvas.js';

export interface OverheadPoint {
  silos: number;
  parameters: number;
  overheadMs: number;
}

function short(p: number): string {
  return p >= 1e6 ? `${p / 1e6}M` : p >= 1e3 ? `${Math.round(p / 1e3)}k` : String(p);
}

/** Protocol time per round against the number of silos (log axis), one line per model size. */
export async function writeOverheadPlot(path: string, points: OverheadPoint[]): Promise<void> {
  const W = 640;
  const H = 420;
  const c = new Canvas(W, H);
  const left = 80;
  const right = W - 30;
  const top = 50;
  const bottom = H - 60;
  const silos = [...new Set(points.map((p) => p.silos))].sort((a, b) => a - b);
  const sizes = [...new Set(points.map((p) => p.parameters))].sort((a, b) => a - b);
  const lo = Math.log10(Math.min(...silos));
  const hi = Math.log10(Math.max(...silos));
  const xOf = (n: number): number =>
    left + 20 + ((Math.log10(n) - lo) / (hi - lo || 1)) * (right - left - 40);
  const maxMs = Math.max(...points.map((p) => p.overheadMs), 1);
  // A round number of seconds (or tenths) above the largest value, so the grid reads easily.
  const step = maxMs > 2000 ? 1000 : maxMs > 500 ? 250 : 100;
  const top_ = Math.ceil(maxMs / step) * step;
  const yOf = (ms: number): number => bottom - (ms / top_) * (bottom - top);
  for (let v = 0; v <= top_ + 1e-9; v += step) {
    c.line(left, yOf(v), right, yOf(v), GREY);
    c.text(left - 70, yOf(v) - 5, v >= 1000 ? `${v / 1000} s` : `${v} ms`, BLACK);
  }
  c.line(left, top, left, bottom, BLACK);
  c.line(left, bottom, right, bottom, BLACK);
  for (const n of silos) {
    c.line(xOf(n), bottom, xOf(n), bottom + 5, BLACK);
    c.text(xOf(n) - 8, bottom + 12, String(n), BLACK);
  }
  c.text((left + right) / 2 - 30, bottom + 36, 'N silos', BLACK);
  sizes.forEach((p, k) => {
    const colour = PALETTE[k % PALETTE.length];
    const line = points
      .filter((x) => x.parameters === p)
      .sort((a, b) => a.silos - b.silos)
      .map((x) => [xOf(x.silos), yOf(x.overheadMs)] as const);
    for (let i = 1; i < line.length; i++)
      c.line(line[i - 1][0], line[i - 1][1], line[i][0], line[i][1], colour);
    for (const [x, y] of line) c.dot(x, y, colour);
    c.text(left + 10 + k * 120, top - 30, `P=${short(p)}`, colour);
  });
  await c.save(path);
}
