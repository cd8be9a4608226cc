/**
 * `npm run bench`: quick, honest numbers for this machine — model-maker speed and raw node-llama-cpp
 * CPU decode on the generated models — printed as a markdown table for docs/benchmarks.md.
 * The neuron and engine benchmarks (bench:neuron, bench:engine) build on these.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PresetName, makeModel } from '@app/core';

interface Row {
  preset: PresetName;
  quant: string;
  makeMs: number;
  mb: number;
  loadMs: number;
  decodeTokS: number;
}

const THREADS = Number(process.env.CORTEX_BENCH_THREADS ?? 1);
const TOKENS = Number(process.env.CORTEX_BENCH_TOKENS ?? 128);

async function decode(file: string): Promise<{ loadMs: number; tokS: number }> {
  const { getLlama } = await import('node-llama-cpp');
  const llama = await getLlama({ gpu: false, maxThreads: THREADS, build: 'never', progressLogs: false });
  const t0 = performance.now();
  const model = await llama.loadModel({ modelPath: file });
  const loadMs = performance.now() - t0;
  const ctx = await model.createContext({ contextSize: 1024, threads: THREADS });
  const seq = ctx.getSequence();
  let n = 0;
  let first = 0;
  for await (const _ of seq.evaluate(model.tokenize('The fleet'), { temperature: 0 })) {
    if (n === 0) first = performance.now();
    if (++n > TOKENS) break;
  }
  const tokS = (n - 1) / ((performance.now() - first) / 1000);
  await llama.dispose();
  return { loadMs, tokS };
}

async function main(): Promise<void> {
  const presets = (process.argv[2] ?? 'tiny,small').split(',') as PresetName[];
  const dir = mkdtempSync(join(tmpdir(), 'cortex-bench-'));
  const rows: Row[] = [];
  try {
    for (const preset of presets) {
      const t0 = performance.now();
      const made = makeModel({ preset, out: join(dir, `${preset}.gguf`), quant: 'q8_0' });
      const makeMs = performance.now() - t0;
      const { loadMs, tokS } = await decode(made.file);
      rows.push({ preset, quant: 'q8_0', makeMs, mb: made.bytes / 1e6, loadMs, decodeTokS: tokS });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(`\nraw node-llama-cpp, CPU, ${THREADS} thread(s), greedy decode of ${TOKENS} tokens\n`);
  console.log('| preset | quant | size | make-model | load | decode tok/s |');
  console.log('| --- | --- | --- | --- | --- | --- |');
  for (const r of rows) {
    console.log(
      `| ${r.preset} | ${r.quant} | ${r.mb.toFixed(1)} MB | ${r.makeMs.toFixed(0)} ms | ${r.loadMs.toFixed(0)} ms | ${r.decodeTokS.toFixed(0)} |`,
    );
  }
}

void main();
