/**
 * `npm run bench:context`: the context a model gets without context_size, per preset and CPU budget,
 * as a real neuron plans it (node-llama-cpp's memory estimates for weights, KV cache of every
 * sequence and compute buffers): the largest that fits, up to the trained context, or a refusal
 * below min_context. Not a speed benchmark: the table operators size their budgets by.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeModel, type PresetName } from '@app/core';
import { machine, startCli, writeSection } from './lib';

/** The presets as `cortex up` and the benchmarks write them (tiny is the demo model). */
const PRESETS: Array<[PresetName, number]> = [
  ['tiny', 65536],
  ['small', 2048],
  ['1b', 131072],
];
const BUDGETS_MB = [2048, 8192];

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'cortex-bench-context-'));
  try {
    for (const [preset, context] of PRESETS) makeModel({ preset, out: join(dir, `${preset}.gguf`), context });
    const rows: string[] = [];
    for (const budget of BUDGETS_MB) {
      const config = join(dir, `neuron-${budget}.toml`);
      writeFileSync(config, `listen = "127.0.0.1:0"\ndevices = ["cpu"]\nmodels_dir = "."\ncpu_memory_mb = ${budget}\n`);
      const neuron = await startCli(['neuron', '--config', config]);
      try {
        for (const [preset, train] of PRESETS) {
          const res = await fetch(`${neuron.url}/models/load`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ id: preset, source: `${preset}.gguf` }),
          });
          const body = (await res.json()) as {
            context_size?: number;
            estimated_vram_mb?: number;
            error?: { message: string };
          };
          const got = res.ok
            ? `${body.context_size!.toLocaleString('en-US')} (${body.estimated_vram_mb} MB)`
            : `refused: ${/need (\d+ MiB)/.exec(body.error!.message)?.[1] ?? body.error!.message} for ${Math.min(train, 16384).toLocaleString('en-US')}`;
          rows.push(`| ${preset} | ${train.toLocaleString('en-US')} | ${budget.toLocaleString('en-US')} MB | ${got} |`);
          if (res.ok)
            await fetch(`${neuron.url}/models/unload`, {
              method: 'POST',
              headers: { 'content-type': 'application/json' },
              body: JSON.stringify({ id: preset }),
            });
        }
      } finally {
        await neuron.stop();
      }
    }
    const section = [
      '## The context a model gets (`npm run bench:context`)',
      '',
      `${machine()}, ${new Date().toISOString().slice(0, 10)}. A neuron with one CPU device of the given budget (\`cpu_memory_mb\`), each preset loaded alone without \`context_size\`: one seat and two idle session sequences (the CPU defaults), so three sequences of KV cache; \`min_context\` 16,384.`,
      '',
      '| preset | trained context | budget | context chosen (memory) |',
      '| --- | --- | --- | --- |',
      ...rows,
    ].join('\n');
    console.log(section);
    writeSection('context', section);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

void main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
