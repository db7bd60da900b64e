// @ts-check
// Small SVG line charts, one series each, drawn here so the page loads no charting library. Every point is a
// marker with its value in a tooltip, and every chart has its numbers as a table: nothing is shown by colour only.
import { h, s } from './dom.js';

/** @typedef {{ x: number, y: number }} Point */
/**
 * @typedef {object} ChartOptions
 * @property {string} id used in element ids and as data-chart, e.g. "loss"
 * @property {string} title
 * @property {string} yLabel column heading of the value in the data table
 * @property {Point[]} points x is the round
 * @property {number} xMax the last round planned, so the axis shows how far the job has come
 * @property {[number, number]} [bounds] values can never leave this range (clamps the axis)
 * @property {boolean} [fromZero] the axis starts at 0 (a budget spent), rather than fitting the data
 * @property {{ y: number, label: string } | null} [reference] a dashed horizontal line, e.g. the ε target
 * @property {(y: number) => string} [format]
 */

const W = 360;
const H = 200;
const M = { left: 48, right: 14, top: 14, bottom: 34 };

/**
 * A step of 1, 2 or 5 × 10^k giving about `count` intervals over `range`.
 * @param {number} range
 * @param {number} count
 */
function niceStep(range, count) {
  const raw = range / count;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const n = raw / magnitude;
  return (n < 1.5 ? 1 : n < 3 ? 2 : n < 7 ? 5 : 10) * magnitude;
}

/**
 * The value axis: the data (and reference line) rounded outwards to whole ticks, within the bounds.
 * @param {number[]} values
 * @param {[number, number] | undefined} bounds
 * @returns {{ lo: number, hi: number, ticks: number[] }}
 */
export function valueAxis(values, bounds) {
  let lo = Math.min(...values);
  let hi = Math.max(...values);
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) [lo, hi] = bounds ?? [0, 1];
  if (hi - lo < 1e-9) {
    const pad = Math.abs(hi) > 1e-9 ? Math.abs(hi) * 0.1 : 0.5;
    lo -= pad;
    hi += pad;
  }
  const step = niceStep(hi - lo, 4);
  lo = Math.floor(lo / step + 1e-9) * step;
  hi = Math.ceil(hi / step - 1e-9) * step;
  if (bounds) {
    lo = Math.max(lo, bounds[0]);
    hi = Math.min(hi, bounds[1]);
  }
  const ticks = [];
  for (let t = lo; t <= hi + step * 1e-6; t += step) ticks.push(Number(t.toPrecision(12)));
  return { lo, hi, ticks };
}

/** @param {number} xMax */
function roundTicks(xMax) {
  const step = Math.max(1, Math.ceil(xMax / 10));
  const ticks = [];
  for (let r = 1; r <= xMax; r += step) ticks.push(r);
  if (ticks[ticks.length - 1] !== xMax) ticks.push(xMax);
  return ticks;
}

/**
 * @param {ChartOptions} o
 * @returns {HTMLElement}
 */
export function lineChart(o) {
  const format = o.format ?? ((/** @type {number} */ y) => y.toFixed(3));
  const points = o.points.filter((p) => Number.isFinite(p.y));
  const xMax = Math.max(1, o.xMax, ...points.map((p) => p.x));
  const values = points.map((p) => p.y);
  if (o.reference) values.push(o.reference.y);
  if (o.fromZero) values.push(0);
  const axis = valueAxis(values.length > 0 ? values : (o.bounds ?? [0, 1]), o.bounds);
  const plotW = W - M.left - M.right;
  const plotH = H - M.top - M.bottom;
  const x = (/** @type {number} */ r) => M.left + (xMax === 1 ? plotW / 2 : ((r - 1) / (xMax - 1)) * plotW);
  const y = (/** @type {number} */ v) => M.top + plotH - ((v - axis.lo) / (axis.hi - axis.lo || 1)) * plotH;

  const titleId = `chart-${o.id}-title`;
  const descId = `chart-${o.id}-desc`;
  const summary =
    points.length === 0
      ? `${o.title}: no finished round yet.`
      : `${o.title}, ${points.length} of ${xMax} rounds: ` +
        points.map((p) => `round ${p.x} ${format(p.y)}`).join(', ') +
        (o.reference ? `; ${o.reference.label} ${format(o.reference.y)}` : '') +
        '.';

  const svg = s(
    'svg',
    {
      viewBox: `0 0 ${W} ${H}`,
      role: 'img',
      'aria-labelledby': titleId,
      'aria-describedby': descId,
      class: 'chart-svg',
    },
    s('desc', { id: descId }, summary),
    // Grid and value ticks.
    axis.ticks.map((t) =>
      s(
        'g',
        { class: 'tick' },
        s('line', { x1: M.left, x2: W - M.right, y1: y(t), y2: y(t), class: 'grid' }),
        s('text', { x: M.left - 6, y: y(t) + 4, 'text-anchor': 'end' }, format(t)),
      ),
    ),
    roundTicks(xMax).map((r) =>
      s('text', { x: x(r), y: H - M.bottom + 16, 'text-anchor': 'middle', class: 'tick' }, String(r)),
    ),
    s('text', { x: M.left + plotW / 2, y: H - 4, 'text-anchor': 'middle', class: 'axis-label' }, 'round'),
    s('line', { x1: M.left, x2: M.left, y1: M.top, y2: M.top + plotH, class: 'axis' }),
    s('line', { x1: M.left, x2: W - M.right, y1: M.top + plotH, y2: M.top + plotH, class: 'axis' }),
    o.reference
      ? s(
          'g',
          { class: 'reference' },
          s('line', {
            x1: M.left,
            x2: W - M.right,
            y1: y(o.reference.y),
            y2: y(o.reference.y),
            'stroke-dasharray': '6 4',
          }),
          s(
            'text',
            { x: W - M.right - 4, y: y(o.reference.y) - 5, 'text-anchor': 'end' },
            `${o.reference.label} ${format(o.reference.y)}`,
          ),
        )
      : null,
    points.length > 1
      ? s('polyline', {
          class: 'line',
          fill: 'none',
          points: points.map((p) => `${x(p.x).toFixed(1)},${y(p.y).toFixed(1)}`).join(' '),
        })
      : null,
    points.map((p) =>
      s(
        'circle',
        { class: 'point', cx: x(p.x).toFixed(1), cy: y(p.y).toFixed(1), r: 4, 'data-round': p.x },
        s('title', {}, `round ${p.x}: ${format(p.y)}`),
      ),
    ),
    points.length === 0
      ? s(
          'text',
          { x: M.left + plotW / 2, y: M.top + plotH / 2, 'text-anchor': 'middle', class: 'empty' },
          'no finished round yet',
        )
      : null,
  );

  return h(
    'figure',
    { class: 'chart', 'data-chart': o.id, 'data-points': points.length },
    h('figcaption', { id: titleId }, o.title),
    svg,
    h(
      'details',
      { class: 'chart-data' },
      h('summary', {}, `${o.title}: data`),
      h(
        'table',
        {},
        h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Round'), h('th', { scope: 'col' }, o.yLabel))),
        h(
          'tbody',
          {},
          points.map((p) => h('tr', {}, h('td', {}, String(p.x)), h('td', {}, format(p.y)))),
        ),
      ),
    ),
  );
}
