// One arbitrarily bad update among n: the robust rules move by a bounded amount however bad it is; FedAvg does not.
import { aggregate } from './rules.js';
import type { RuleParams } from './rule-params.js';

const P = 16;
let seed = 12345;
const random = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
const gaussian = () => Math.sqrt(-2 * Math.log(random())) * Math.cos(2 * Math.PI * random());

const mu = Float32Array.from({ length: P }, () => gaussian() / 4); // ‖μ‖ ≈ 1
const honest = Array.from({ length: 8 }, (_, i) => ({
  delta: Float32Array.from(mu, (m) => m + 0.05 * gaussian()),
  weight: 50 + 60 * i,
  siloId: `h${i}`,
}));
const direction = Float32Array.from({ length: P }, gaussian);
const directionNorm = Math.hypot(...direction);

/** The round with a ninth silo sending μ + s·u (u a unit vector) and claiming a billion examples. */
function attacked(scale: number) {
  const delta = Float32Array.from(mu, (m, k) => m + (scale * direction[k]) / directionNorm);
  return [...honest, { delta, weight: 1e9, siloId: 'bad' }];
}

const errorOf = (x: Float32Array) => Math.hypot(...Array.from(x, (v, k) => v - mu[k]));
const scales = [1e1, 1e3, 1e5, 1e7];

describe('one bad update among nine', () => {
  it.each<[string, RuleParams, number]>([
    // bound on ‖result − μ‖, whatever the scale
    ['median', {}, 0.3],
    ['trimmed-mean', { beta: 0.2 }, 0.3],
    ['krum', { f: 1 }, 0.3],
    ['multi-krum', { f: 1 }, 0.3],
    ['geometric-median', {}, 0.3],
    // Uncapped weights: the bad site's share is ≈ 1, but its update is cut to the radius.
    ['norm-bounding', { radius: 2 }, 2 + 1.5],
    // Each of the three steps moves the centre by at most τ.
    ['centered-clipping', { tau: 0.5 }, 3 * 0.5 + 1.5],
  ])('%s moves by a bounded amount however far the bad update is', (rule, params, bound) => {
    const errors = scales.map((s) => errorOf(aggregate(rule, attacked(s), params)));
    for (const e of errors) expect(e).toBeLessThan(bound);
  });

  it('FedAvg is dragged as far as the bad update goes', () => {
    const errors = scales.map((s) => errorOf(aggregate('fedavg', attacked(s))));
    scales.forEach((s, i) => expect(errors[i]).toBeGreaterThan(0.9 * s));
  });

  it('without the attack the robust rules land near μ', () => {
    for (const rule of ['median', 'trimmed-mean', 'geometric-median', 'multi-krum']) {
      expect(errorOf(aggregate(rule, honest, rule === 'multi-krum' ? { f: 1 } : {}))).toBeLessThan(0.15);
    }
  });
});
