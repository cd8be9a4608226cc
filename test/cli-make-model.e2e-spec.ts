import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { getLlama } from 'node-llama-cpp';

const cli = resolve(__dirname, '../dist/apps/cli/src/main.js');
const dir = mkdtempSync(join(tmpdir(), 'cortex-cli-'));
const cortex = (...args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' });

describe('cortex make-model (built CLI)', () => {
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes a tiny model that node-llama-cpp loads and runs', async () => {
    const out = join(dir, 't.gguf');
    const r = cortex(
      'make-model',
      '--preset',
      'tiny',
      '--out',
      out,
      '--quant',
      'f16',
      '--seed',
      '9',
      '--context',
      '8192',
    );
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^wrote .*t\.gguf: tiny, f16, 0\.\d+M params, .* context 8192, seed 9, eog never/);
    expect(statSync(out).size).toBeGreaterThan(100_000);

    const llama = await getLlama({ gpu: false, maxThreads: 1, build: 'never', progressLogs: false });
    const model = await llama.loadModel({ modelPath: out });
    expect(model.trainContextSize).toBe(8192);
    const ctx = await model.createContext({ contextSize: 256, threads: 1 });
    const seq = ctx.getSequence();
    const produced: number[] = [];
    for await (const t of seq.evaluate(model.tokenize('hi'), { temperature: 0 })) {
      produced.push(t);
      if (produced.length === 8) break;
    }
    expect(produced).toHaveLength(8);
    await llama.dispose();
  });

  it.each([
    [['--preset', 'huge', '--out', 'x.gguf'], '--preset: expected one of tiny, small, 1b, got "huge"'],
    [['--preset', 'tiny', '--out', 'x.gguf', '--quant', 'q4'], '--quant: expected one of f32, f16, q8_0, got "q4"'],
    [['--preset', 'tiny', '--out', 'x.gguf', '--context', '8'], '--context: expected an integer >= 16, got "8"'],
    [['--preset', 'tiny', '--out', 'x.gguf', '--eog', 'sometimes'], '--eog: expected never or random, got "sometimes"'],
  ])('refuses %j with exit 2 and one line, no stack', (args, message) => {
    const r = cortex('make-model', ...args);
    expect(r.status).toBe(2);
    expect(r.stderr.trim()).toBe(`cortex: ${message}`);
    expect(r.stderr).not.toContain('    at ');
  });
});
