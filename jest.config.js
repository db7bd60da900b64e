// ESM jest: NestJS 12 ships ESM-only packages, so the whole suite runs under --experimental-vm-modules.
const libs = [
  'protocol',
  'data',
  'training',
  'aggregation',
  'storage',
  'jobs',
  'config',
  'observability',
  'model',
  'evaluation',
];

/** @type {import('jest').Config} */
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  roots: ['<rootDir>/libs', '<rootDir>/services', '<rootDir>/test'],
  testMatch: ['**/*.spec.ts', '**/*.e2e.ts'],
  moduleNameMapper: {
    ...Object.fromEntries(libs.map((l) => [`^@cohort/${l}$`, `<rootDir>/libs/${l}/src/index.ts`])),
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json' }],
  },
  testTimeout: 60000,
};
