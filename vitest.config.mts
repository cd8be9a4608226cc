import swc from 'unplugin-swc';
import tsconfigPaths from 'vite-tsconfig-paths';
import { defineConfig } from 'vitest/config';

// Two projects. `unit`: pure specs next to their source, and the module tier (test/module: the real
// Nest modules in-process with an in-memory fleet) — seconds, no build. `e2e`: specs that start
// real processes from dist/, so `npm test` builds first. `npx vitest run --project unit` runs the
// quick ones alone.
export default defineConfig({
  plugins: [tsconfigPaths({ projects: ['./tsconfig.json'] }), swc.vite({ module: { type: 'es6' } })],
  test: {
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    fileParallelism: true,
    maxWorkers: 2,
    projects: [
      { extends: true, test: { name: 'unit', include: ['{apps,libs}/**/*.spec.ts', 'test/module/**/*.spec.ts'] } },
      { extends: true, test: { name: 'e2e', include: ['test/**/*.e2e-spec.ts'] } },
    ],
  },
});
