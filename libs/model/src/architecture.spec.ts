import { ModelError } from './errors.js';
import { hiddenUnitsOf, modelArchitecture } from './architecture.js';

describe('modelArchitecture', () => {
  it('makes logistic regression one sigmoid unit', () => {
    expect(modelArchitecture({ template: 'logreg', hiddenUnits: [] }, 13)).toEqual([
      { name: 'dense_0', inputUnits: 13, units: 1, activation: 'sigmoid' },
    ]);
  });

  it('chains relu hidden layers into a sigmoid output', () => {
    expect(modelArchitecture({ template: 'mlp', hiddenUnits: [8, 4] }, 5)).toEqual([
      { name: 'dense_0', inputUnits: 5, units: 8, activation: 'relu' },
      { name: 'dense_1', inputUnits: 8, units: 4, activation: 'relu' },
      { name: 'dense_2', inputUnits: 4, units: 1, activation: 'sigmoid' },
    ]);
  });

  it('gives an mlp without hidden units one hidden layer of 16', () => {
    expect(hiddenUnitsOf({ template: 'mlp', hiddenUnits: [] })).toEqual([16]);
  });

  it.each([
    [{ template: 'cnn', hiddenUnits: [] }, 1, /unknown model template 'cnn'/],
    [{ template: 'logreg', hiddenUnits: [4] }, 1, /'logreg' has no hidden layers/],
    [{ template: 'mlp', hiddenUnits: [4, 0] }, 1, /hiddenUnits\[1\] must be a positive integer, got 0/],
    [{ template: 'mlp', hiddenUnits: [2.5] }, 1, /hiddenUnits\[0\] must be a positive integer/],
    [{ template: 'logreg', hiddenUnits: [] }, 0, /inputDim must be a positive integer, got 0/],
  ])('refuses %j with input %d', (spec, inputDim, message) => {
    const attempt = () => modelArchitecture(spec, inputDim);
    expect(attempt).toThrow(ModelError);
    expect(attempt).toThrow(message);
  });
});
