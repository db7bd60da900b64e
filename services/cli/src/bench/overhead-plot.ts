import { PALETTE } from '../demo/png-canvas.js';
import { SiloPlotFrame } from './silo-plot-frame.js';

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
  const silos = [...new Set(points.map((p) => p.silos))].sort((a, b) => a - b);
  const sizes = [...new Set(points.map((p) => p.parameters))].sort((a, b) => a - b);
  const frame = new SiloPlotFrame(silos);
  const { c, left, top, bottom } = frame;
  const maxMs = Math.max(...points.map((p) => p.overheadMs), 1);
  // A round number of seconds (or tenths) above the largest value, so the grid reads easily.
  const step = maxMs > 2000 ? 1000 : maxMs > 500 ? 250 : 100;
  const top_ = Math.ceil(maxMs / step) * step;
  const yOf = (ms: number): number => bottom - (ms / top_) * (bottom - top);
  const ticks: number[] = [];
  for (let v = 0; v <= top_ + 1e-9; v += step) ticks.push(v);
  frame.axes(ticks, yOf);
  sizes.forEach((p, k) => {
    const colour = PALETTE[k % PALETTE.length];
    const line = points
      .filter((x) => x.parameters === p)
      .sort((a, b) => a.silos - b.silos)
      .map((x) => [frame.xOf(x.silos), yOf(x.overheadMs)] as const);
    for (let i = 1; i < line.length; i++)
      c.line(line[i - 1][0], line[i - 1][1], line[i][0], line[i][1], colour);
    for (const [x, y] of line) c.dot(x, y, colour);
    c.text(left + 10 + k * 120, top - 30, `P=${short(p)}`, colour);
  });
  await c.save(path);
}
