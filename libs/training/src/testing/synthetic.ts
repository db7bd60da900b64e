// Test fixtures only: linearly separable data with a known margin.
import { createRandom } from '@cohort/model';
import type { LabelledData } from '../data.js';

/**
 * n examples of d features uniform in [-1, 1], labelled by the sign of a fixed random hyperplane; points closer
 * than `margin` to it are redrawn, so the classes are separable.
 */
export function separableData(n: number, d: number, seed: number, margin = 0.1): LabelledData {
  const random = createRandom(seed);
  const plane = Array.from({ length: d }, () => 2 * random() - 1);
  const norm = Math.hypot(...plane);
  const offset = 0.2 * (2 * random() - 1);
  const x = new Float32Array(n * d);
  const y = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let side: number;
    do {
      side = offset;
      for (let j = 0; j < d; j++) {
        x[i * d + j] = 2 * random() - 1;
        side += (plane[j] * x[i * d + j]) / norm;
      }
    } while (Math.abs(side) < margin);
    y[i] = side > 0 ? 1 : 0;
  }
  return { x, y, n, d };
}

/** Rows start..end of a dataset (a copy). */
export function rows(data: LabelledData, start: number, end: number): LabelledData {
  return {
    x: data.x.slice(start * data.d, end * data.d),
    y: data.y.slice(start, end),
    n: end - start,
    d: data.d,
  };
}
