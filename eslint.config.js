// Lint rules double as the architecture: each runtime may import only what it is allowed to.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';
import local from './eslint-rules/index.js';

const nodeBuiltins = ['node:*', 'fs', 'fs/*', 'path', 'os', 'net', 'child_process', 'crypto', 'http', 'https', 'stream', 'events', 'url', 'util', 'tls', 'dgram', 'worker_threads', 'readline', 'zlib', 'buffer'];

export default tseslint.config(
  { ignores: ['out/**', 'dist/**', 'node_modules/**', 'test-results/**', 'playwright-report/**', '.tmp/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      'no-restricted-imports': [
        'error',
        { paths: [{ name: 'electron', message: 'Only main/app/** may import electron (docs/architecture.md).' }] },
      ],
    },
  },
  {
    files: ['main/app/**'],
    rules: { 'no-restricted-imports': 'off' },
  },
  {
    // One way down inside main/: the order lives in eslint-rules/layers.js and docs/architecture.md.
    files: ['main/**/*.ts'],
    plugins: { local },
    rules: { 'local/layering': 'error' },
  },
  {
    files: ['main/**'],
    ignores: ['main/app/preload.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        { selector: "MemberExpression[object.name='ipcRenderer']", message: 'Only the preload talks to ipcRenderer.' },
      ],
    },
  },
  {
    files: ['renderer/**'],
    languageOptions: { globals: { ...globals.browser } },
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [{ name: 'electron', message: 'The renderer reaches main only through renderer/api.ts.' }],
          patterns: [
            { group: nodeBuiltins, message: 'The renderer runs sandboxed: no Node built-ins.' },
            { group: ['**/main/**', '../main/*', '../../main/*'], message: 'The renderer imports only shared/ and its own code.' },
          ],
        },
      ],
    },
  },
  {
    files: ['shared/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { regex: '^(?!zod$|\\.{1,2}/)', message: 'shared/ imports only zod and other shared/ files.' },
            { regex: '(^|/)(main|renderer|test)/', message: 'shared/ imports only zod and other shared/ files.' },
          ],
        },
      ],
    },
  },
  {
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: { ...globals.node } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    files: ['test/**', 'bench/**', 'scripts/**', '*.config.*'],
    rules: { '@typescript-eslint/no-non-null-assertion': 'off' },
  },
);
