import { writeFile } from 'node:fs/promises';
import { PNG } from 'pngjs';

export interface SweepPoint {
  /** null: the non-private model (ε = ∞). */
  epsilon: number | null;
  accuracy: number;
  auc: number | null;
}

// A 3×5 bitmap font for the few characters the axes need; each row is 3 bits, most significant on the left.
const GLYPHS: Record<string, number[]> = {
  '0': [7, 5, 5, 5, 7],
  '1': [2, 6, 2, 2, 7],
  '2': [7, 1, 7, 4, 7],
  '3': [7, 1, 7, 1, 7],
  '4': [5, 5, 7, 1, 1],
  '5': [7, 4, 7, 1, 7],
  '6': [7, 4, 7, 5, 7],
  '7': [7, 1, 2, 2, 2],
  '8': [7, 5, 7, 5, 7],
  '9': [7, 5, 7, 1, 7],
  '.': [0, 0, 0, 0, 2],
  '%': [5, 1, 2, 4, 5],
  ε: [3, 4, 6, 4, 3],
  i: [2, 0, 2, 2, 2],
  n: [0, 6, 5, 5, 5],
  f: [3, 2, 7, 2, 2],
  A: [2, 5, 7, 5, 5],
  U: [5, 5, 5, 5, 7],
  C: [7, 4, 4, 4, 7],
  a: [0, 6, 3, 5, 7],
  c: [0, 7, 4, 4, 7],
  u: [0, 5, 5, 5, 7],
  r: [0, 7, 4, 4, 4],
  y: [5, 5, 7, 1, 7],
  ' ': [0, 0, 0, 0, 0],
};

type Rgb = [number, number, number];
const BLACK: Rgb = [20, 20, 20];
const GREY: Rgb = [200, 200, 200];
const BLUE: Rgb = [31, 119, 180];
const ORANGE: Rgb = [255, 127, 14];

/**
 * The privacy sweep as a PNG: held-out accuracy (blue) and AUC (orange) of the union of test sets against the
 * target ε on a log axis, with the non-private model at ∞ ("inf") on the right.
 */
export async function writeSweepPlot(path: string, points: SweepPoint[]): Promise<void> {
  const W = 640;
  const H = 400;
  const png = new PNG({ width: W, height: H });
  png.data.fill(255);
  const set = (x: number, y: number, c: Rgb): void => {
    if (x < 0 || y < 0 || x >= W || y >= H) return;
    const i = (Math.round(y) * W + Math.round(x)) * 4;
    [png.data[i], png.data[i + 1], png.data[i + 2], png.data[i + 3]] = [c[0], c[1], c[2], 255];
  };
  const line = (x0: number, y0: number, x1: number, y1: number, c: Rgb): void => {
    const n = Math.max(Math.abs(x1 - x0), Math.abs(y1 - y0), 1);
    for (let t = 0; t <= n; t++) set(x0 + ((x1 - x0) * t) / n, y0 + ((y1 - y0) * t) / n, c);
  };
  const text = (x: number, y: number, s: string, c: Rgb, scale = 2): void => {
    [...s].forEach((ch, k) => {
      (GLYPHS[ch] ?? GLYPHS[' ']).forEach((bits, row) => {
        for (let col = 0; col < 3; col++) {
          if (bits & (4 >> col)) {
            for (let dx = 0; dx < scale; dx++)
              for (let dy = 0; dy < scale; dy++) set(x + (k * 4 + col) * scale + dx, y + row * scale + dy, c);
          }
        }
      });
    });
  };

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
  await writeFile(path, PNG.sync.write(png));
}
