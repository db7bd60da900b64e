// ESM jest: NestJS 12 ships ESM-only packages, so the whole suite runs under --experimental-vm-modules.
import { readFileSync } from 'node:fs';

// The @cohort/* aliases come from tsconfig.json, so a library is declared in one place.
const { compilerOptions } = JSON.parse(readFileSync(new URL('./tsconfig.json', import.meta.url), 'utf8'));
const aliases = Object.entries(compilerOptions.paths).map(([alias, [target]]) => [
  `^${alias}$`,
  `<rootDir>/${target.replace(/^\.\//, '')}`,
]);

/** @type {import('jest').Config} */
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  roots: ['<rootDir>/libs', '<rootDir>/services', '<rootDir>/test', '<rootDir>/deploy'],
  testMatch: ['**/*.spec.ts', '**/*.e2e.ts'],
  moduleNameMapper: {
    ...Object.fromEntries(aliases),
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json' }],
  },
  testTimeout: 60000,
};
