import { mulberry32 } from './prng.js';

describe('mulberry32', () => {
  it('reproduces the reference sequence (values from an independent Python port)', () => {
    const r = mulberry32(42);
    expect([r(), r(), r()]).toEqual([0.6011037519201636, 0.44829055899754167, 0.8524657934904099]);
    const z = mulberry32(0);
    expect([z(), z()]).toEqual([0.26642920868471265, 0.0003297457005828619]);
  });
});
