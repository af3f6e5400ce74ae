import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', 'build/', '.cache/', 'test/fixtures/**/*.c'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', URL: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    // Each boundary package stays inside its folder (DESIGN.md: "the only importer of ...").
    files: ['src/**/*.ts'],
    ignores: ['src/fmi/**'],
    rules: { 'no-restricted-imports': ['error', { paths: [{ name: 'koffi', message: 'Only src/fmi/ may import koffi.' }] }] },
  },
);
