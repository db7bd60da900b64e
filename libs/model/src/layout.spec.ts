import { modelLayout, parameterCount } from './layout.js';

describe('modelLayout', () => {
  it('lists kernel then bias for each layer, input to output', () => {
    expect(modelLayout({ template: 'mlp', hiddenUnits: [16] }, 13)).toEqual([
      { name: 'dense_0/kernel', shape: [13, 16] },
      { name: 'dense_0/bias', shape: [16] },
      { name: 'dense_1/kernel', shape: [16, 1] },
      { name: 'dense_1/bias', shape: [1] },
    ]);
  });

  it('counts parameters', () => {
    expect(parameterCount(modelLayout({ template: 'logreg', hiddenUnits: [] }, 13))).toBe(14);
    // 13*16 + 16 + 16*1 + 1
    expect(parameterCount(modelLayout({ template: 'mlp', hiddenUnits: [] }, 13))).toBe(241);
    // 3*4 + 4 + 4*2 + 2 + 2*1 + 1
    expect(parameterCount(modelLayout({ template: 'mlp', hiddenUnits: [4, 2] }, 3))).toBe(29);
    expect(parameterCount([])).toBe(0);
  });
});
