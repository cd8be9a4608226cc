import { spawnSync } from 'node:child_process';
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
