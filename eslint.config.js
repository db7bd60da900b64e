import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const useAliases = {
  group: ['**/libs/*/src/*', '../../libs/*', '../../../libs/*', '../../../../libs/*'],
  message: 'import another library through its @cohort/* path alias',
};

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'node_modules/**',
      'libs/protocol/src/generated/**',
      'coverage/**',
      '.cohort/**',
      '*.js',
      'scripts/**',
      'bin/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-imports': ['error', { patterns: [useAliases] }],
    },
  },
  {
    files: ['libs/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [useAliases, { group: ['**/services/**'], message: 'libs never import services' }] },
      ],
    },
  },
  {
    // The dashboard's browser scripts: plain ES modules type-checked by their own tsconfig (checkJs, DOM lib),
    // which already rejects undefined names, so ESLint's no-undef (blind to browser globals) stays off.
    files: ['services/gateway/web/**/*.js'],
    rules: { 'no-undef': 'off' },
  },
  {
    files: ['**/*.spec.ts', 'test/**/*.ts', '**/testing/**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/unbound-method': 'off',
    },
  },
);
