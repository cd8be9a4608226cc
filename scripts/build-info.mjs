#!/usr/bin/env node
// Why: a running cortex says which build it is (GET /version, --version); this records the commit,
// whether the tree was dirty, and the build time into dist/build-info.json after `nest build`.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';

const git = (...args) => {
  try {
    return execFileSync('git', args, { stdio: ['ignore', 'pipe', 'ignore'] })
      .toString()
      .trim();
  } catch {
    return null; // not a git checkout (a tarball, a Docker context without .git)
  }
};
// A Docker build has no .git: it passes the commit as CORTEX_GIT_SHA (and CORTEX_GIT_DIRTY) instead.
const sha = process.env.CORTEX_GIT_SHA || git('rev-parse', 'HEAD');
const status = process.env.CORTEX_GIT_SHA
  ? process.env.CORTEX_GIT_DIRTY === 'true'
    ? 'dirty'
    : ''
  : sha === null
    ? null
    : git('status', '--porcelain', '--untracked-files=no');
mkdirSync('dist', { recursive: true });
writeFileSync(
  'dist/build-info.json',
  JSON.stringify({
    git_sha: sha,
    dirty: status === null ? null : status.length > 0,
    built_at: new Date().toISOString(),
  }) + '\n',
);
