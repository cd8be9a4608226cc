import swc from 'unplugin-swc';
import tsconfigPaths from 'vite-tsconfig-paths';
import { defineConfig } from 'vitest/config';

// One config for unit specs (next to their source) and e2e specs (test/): e2e specs start real
// processes from dist/, so `npm test` builds first.
export default defineConfig({
  plugins: [tsconfigPaths({ projects: ['./tsconfig.json'] }), swc.vite({ module: { type: 'es6' } })],
  test: {
    include: ['{apps,libs}/**/*.spec.ts', 'test/module/**/*.spec.ts', 'test/**/*.e2e-spec.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    fileParallelism: true,
    maxWorkers: 2,
  },
});
