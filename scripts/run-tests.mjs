#!/usr/bin/env node
// `npm test`: lint, format check, typecheck, build, then every vitest suite (e2e specs start real
// processes from dist/), the load suite last and alone. Always ends with one plain "N passed, N failed" line so CI can read it,
// even when an early step fails (that step counts as one failure).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { ensureSystemPackages } from './system-packages.mjs';

// `--tests-only`: skip lint, format, typecheck and build (a second run of the same tree, e.g. on
// another Node version, needs only the tests). Other arguments are vitest filters.
const testsOnly = process.argv.includes('--tests-only');
const missing = ensureSystemPackages();
if (missing) {
  console.log(`\nnpm test: ${missing}`);
  console.log('0 passed, 1 failed');
  process.exit(1);
}

const steps = [
  ['lint', 'npx', ['eslint', '.']],
  ['format', 'npx', ['prettier', '--check', '.', '--log-level', 'warn']],
  ['typecheck', 'npx', ['tsc', '--noEmit', '-p', 'tsconfig.json']],
  ['build', 'npm', ['run', 'build', '--silent']],
];
for (const [name, cmd, args] of testsOnly ? [] : steps) {
  const started = Date.now();
  const r = spawnSync(cmd, args, { stdio: 'inherit' });
  if (r.status !== 0) {
    console.log(`\n${name} failed`);
    console.log('0 passed, 1 failed');
    process.exit(1);
  }
  console.log(`${name}: ok (${((Date.now() - started) / 1000).toFixed(1)} s)`);
}

mkdirSync('.cortex', { recursive: true });
const extra = process.argv.slice(2).filter((a) => a !== '--tests-only');
// The family matrix (five real-vocabulary models, ~1.5 min of a core), the real clients (SDKs and
// coding agents, each its own process), the resume spec (two real neurons generating, killed and
// restarted) and the load suite saturate the machine for a while: each runs on its own after the
// rest, so the timing-sensitive e2e specs never share it with them.
const ALONE = ['test/families.e2e-spec.ts', 'test/clients.e2e-spec.ts', 'test/resume.e2e-spec.ts', 'test/load'];
const runs = extra.length
  ? [['all', extra]]
  : [
      ['unit', ['--project', 'unit']],
      [
        'e2e',
        ['--project', 'e2e', ...ALONE.flatMap((path) => ['--exclude', path.endsWith('.ts') ? path : `${path}/**`])],
      ],
      ['families', ['test/families.e2e-spec.ts']],
      ['clients', ['test/clients.e2e-spec.ts']],
      ['resume', ['test/resume.e2e-spec.ts']],
      ['load', ['test/load']],
    ];
let passed = 0;
let failed = 0;
let skipped = 0;
let status = 0;
for (const [name, args] of runs) {
  const report = `.cortex/vitest-report-${name}.json`;
  rmSync(report, { force: true });
  const r = spawnSync(
    'npx',
    ['vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`, ...args],
    { stdio: 'inherit' },
  );
  status ||= r.status ?? 1;
  if (!existsSync(report)) {
    failed++;
    continue;
  }
  const json = JSON.parse(readFileSync(report, 'utf8'));
  passed += json.numPassedTests;
  failed += json.numFailedTests + countFilesThatFailedToRun(json);
  skipped += json.numPendingTests;
}
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed ? status || 1 : status);

// A file that fails to load (or whose hooks fail) has no failed tests: count it once. (The report's
// numFailedTestSuites also counts describe blocks, so it cannot be used for this.)
function countFilesThatFailedToRun(j) {
  return j.testResults.filter((s) => s.status === 'failed' && !s.assertionResults.some((a) => a.status === 'failed'))
    .length;
}
