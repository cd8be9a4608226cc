// Lint rules, including the architecture's import boundaries: apps never import each other, libs
// never import apps, and libs/translate stays pure (no Nest, no Node I/O, no @app/core I/O).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const nodeIo = ['fs', 'http', 'https', 'net', 'child_process', 'os', 'dgram', 'tls', 'worker_threads', 'cluster'];
const appsOtherThan = (self) =>
  ['gateway', 'neuron', 'cli']
    .filter((a) => a !== self)
    .flatMap((a) => [`**/apps/${a}/**`, `../../${a}/**`, `../../../${a}/**`, `../../../../${a}/**`]);

const restrict = (patterns, message) => ['error', { patterns: [{ group: patterns, message }] }];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', '.cortex/**', '**/*.gguf'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', __dirname: 'readonly' },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
      'no-console': 'off',
    },
  },
  ...['gateway', 'neuron', 'cli'].map((app) => ({
    files: [`apps/${app}/**/*.ts`],
    rules: {
      'no-restricted-imports': restrict(appsOtherThan(app), 'apps never import each other; share through @app/core'),
    },
  })),
  {
    files: ['libs/**/*.ts'],
    rules: {
      'no-restricted-imports': restrict(['**/apps/**', '../../apps/**', '../../../apps/**'], 'libs never import apps'),
    },
  },
  {
    files: ['libs/translate/**/*.ts'],
    ignores: ['libs/translate/**/*.spec.ts', 'libs/translate/test/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['@nestjs/*', '**/apps/**', ...nodeIo, ...nodeIo.map((m) => `node:${m}`)],
              message: 'libs/translate is pure: no Nest, no Node I/O',
            },
            { regex: '^@app/core(?!/errors$)', message: 'of @app/core, libs/translate may use only @app/core/errors' },
          ],
        },
      ],
    },
  },
);
