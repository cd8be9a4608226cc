import { execFileSync, spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { CLI } from './helpers/processes';

// The program is `cortex` in every --help, however it is started (npm start and the containers run
// dist/apps/cli/src/main.js, which commander alone would call `main`).

describe('cortex --help', () => {
  it.each([[[]], [['status']], [['load']], [['make-model']]])('%j names the program cortex', (args) => {
    const r = spawnSync(process.execPath, [CLI, ...args, '--help'], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^Usage: cortex${args.length ? ` ${args[0]}` : ''} `, 'm'));
    expect(r.stdout).not.toMatch(/Usage: main/);
  });
});

describe('cortex --version', () => {
  it('names the version, the commit it was built from and the engine', () => {
    const sha = execFileSync('git', ['rev-parse', 'HEAD']).toString().trim();
    const r = spawnSync(process.execPath, [CLI, '--version'], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toMatch(
      new RegExp(
        `^0\\.1\\.0 \\(${sha.slice(0, 12)}(-dirty)?, built \\d{4}-\\d\\d-\\d\\dT[^;]+; node v\\d+[^,]*, node-llama-cpp 3\\.21\\.1, llama\\.cpp ggml-org/llama\\.cpp@\\S+\\)$`,
      ),
    );
  });
});
