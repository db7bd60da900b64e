import { GREY, PALETTE } from '../demo/png-canvas.js';
import { SiloPlotFrame } from './silo-plot-frame.js';

export interface SecAggCurvePoint {
  silos: number;
  fullTotalMs: number;
  plusTotalMs: number;
}

/**
 * The secure-aggregation scaling curve as a PNG: every party's work per round against the number of silos, SecAgg
 * (every pair masks, blue) and SecAgg+ (O(log n) neighbours, orange), both axes logarithmic so a quadratic
 * curve has slope 2 and a linear one slope 1 (the grey guide of slope 2 starts at SecAgg's first point).
 */
export async function writeSecAggPlot(path: string, points: SecAggCurvePoint[]): Promise<void> {
  const silos = points.map((p) => p.silos);
  const values = points.flatMap((p) => [p.fullTotalMs, p.plusTotalMs]).filter((v) => v > 0);
  const frame = new SiloPlotFrame(silos);
  const { c, left, top, bottom } = frame;
  const xOf = (n: number): number => frame.xOf(n);
  const xLo = Math.log10(Math.min(...silos));
  const xHi = Math.log10(Math.max(...silos));
  const yLo = Math.floor(Math.log10(Math.min(...values)));
  const yHi = Math.ceil(
    Math.log10(Math.max(...values, points[0].fullTotalMs * (xHi > xLo ? 10 ** (2 * (xHi - xLo)) : 1))),
  );
  const yOf = (ms: number): number => bottom - ((Math.log10(ms) - yLo) / (yHi - yLo || 1)) * (bottom - top);
  frame.axes(
    Array.from({ length: yHi - yLo + 1 }, (_, e) => 10 ** (yLo + e)),
    yOf,
  );
  const first = points[0];
  const last = points[points.length - 1];
  c.line(
    xOf(first.silos),
    yOf(first.fullTotalMs),
    xOf(last.silos),
    yOf(first.fullTotalMs * (last.silos / first.silos) ** 2),
    GREY,
  );
  const series: [string, (p: SecAggCurvePoint) => number][] = [
    // The canvas font has no S, g or +: the legend names the graphs ("full" pairs, the SecAgg+ "harary" graph).
    ['full', (p) => p.fullTotalMs],
    ['harary', (p) => p.plusTotalMs],
  ];
  series.forEach(([name, value], k) => {
    const colour = PALETTE[k % PALETTE.length];
    const line = points.map((p) => [xOf(p.silos), yOf(Math.max(value(p), 10 ** yLo))] as const);
    for (let i = 1; i < line.length; i++)
      c.line(line[i - 1][0], line[i - 1][1], line[i][0], line[i][1], colour);
    for (const [x, y] of line) c.dot(x, y, colour);
    c.text(left + 10 + k * 140, top - 30, name, colour);
  });
  await c.save(path);
}
