/**
 * `npm run bench:neuron`: the neuron's cost over raw node-llama-cpp, on the `small` preset, same
 * model, same threads, one run. Raw = LlamaChat in this process; neuron = the same chat through
 * HTTP streaming, the supervisor and the worker child. Also aggregate decode with 1/2/4 streams.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeModel, type PresetName } from '@app/core';
import { machine, median, startNeuron, timedStream, writeSection } from './lib';

const PRESET = (process.env.CORTEX_BENCH_PRESET ?? 'small') as PresetName;
const THREADS = Number(process.env.CORTEX_BENCH_THREADS ?? 1);
const TOKENS = Number(process.env.CORTEX_BENCH_TOKENS ?? 96);
const RUNS = Number(process.env.CORTEX_BENCH_RUNS ?? 3);
const MAX_IN_FLIGHT = Number(process.env.CORTEX_BENCH_MAX_IN_FLIGHT ?? 8);
const PROMPT = 'Write a short story about a lighthouse keeper who finds a message in a bottle.';

async function raw(file: string): Promise<{ ttftMs: number; decodeTokS: number }[]> {
  const nlc = await import('node-llama-cpp');
  const llama = await nlc.getLlama({ gpu: false, maxThreads: THREADS, build: 'never', progressLogs: false });
  const model = await llama.loadModel({ modelPath: file });
  const context = await model.createContext({ contextSize: 2048, sequences: 1, threads: THREADS });
  const seq = context.getSequence();
  const wrapper = nlc.resolveChatWrapper(model);
  const runs: { ttftMs: number; decodeTokS: number }[] = [];
  for (let i = 0; i <= RUNS; i++) {
    const chat = new nlc.LlamaChat({ contextSequence: seq, chatWrapper: wrapper, autoDisposeSequence: false });
    const started = performance.now();
    let first = 0;
    let n = 0;
    await chat.generateResponse(
      [
        { type: 'user', text: PROMPT },
        { type: 'model', response: [] },
      ],
      {
        maxTokens: TOKENS,
        temperature: 0,
        onToken: (t) => {
          if (!first) first = performance.now();
          n += t.length;
        },
      },
    );
    const end = performance.now();
    chat.dispose({ disposeSequence: false });
    if (i > 0) runs.push({ ttftMs: first - started, decodeTokS: (n - 1) / ((end - first) / 1000) });
  }
  await llama.dispose();
  return runs;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'cortex-bench-neuron-'));
  try {
    mkdirSync(join(dir, 'models'));
    const file = join(dir, 'models', `${PRESET}.gguf`);
    makeModel({ preset: PRESET, out: file, quant: 'q8_0' });
    const rawRuns = await raw(file);

    const body = { model: 'm', messages: [{ role: 'user', content: PROMPT }], max_tokens: TOKENS, temperature: 0 };
    // Single-stream cost with the CPU default (one sequence, like the raw run); aggregates with 8 seats.
    const neuronRuns = await withNeuron(dir, 1, async (url) => {
      await timedStream(url, body); // warm-up, like the raw run 0
      const runs = [];
      for (let i = 0; i < RUNS; i++) runs.push(await timedStream(url, body));
      return runs;
    });
    const aggregate = await withNeuron(dir, MAX_IN_FLIGHT, async (url) => {
      await timedStream(url, body);
      const out: Array<[number, number]> = [];
      for (const streams of [1, 2, 4, 8].filter((s) => s <= MAX_IN_FLIGHT)) {
        const all = await Promise.all(Array.from({ length: streams }, () => timedStream(url, body)));
        const start = Math.min(...all.map((r) => r.firstAt));
        const end = Math.max(...all.map((r) => r.lastAt));
        out.push([streams, all.reduce((sum, r) => sum + r.tokens, 0) / ((end - start) / 1000)]);
      }
      return out;
    });
    report(rawRuns, neuronRuns, aggregate);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function withNeuron<T>(dir: string, maxInFlight: number, work: (url: string) => Promise<T>): Promise<T> {
  const neuron = await startNeuron(
    dir,
    `threads = ${THREADS}\n[admission]\nmax_in_flight = ${maxInFlight}\n` +
      `[[preload]]\nid = "m"\nsource = "${PRESET}.gguf"\ncontext_size = 2048\n`,
  );
  try {
    return await work(neuron.url);
  } finally {
    await neuron.stop();
  }
}

function report(
  rawRuns: { ttftMs: number; decodeTokS: number }[],
  neuronRuns: { ttftMs: number; decodeTokS: number }[],
  aggregate: Array<[number, number]>,
): void {
  const rawDecode = median(rawRuns.map((r) => r.decodeTokS));
  const neuronDecode = median(neuronRuns.map((r) => r.decodeTokS));
  const rawTtft = median(rawRuns.map((r) => r.ttftMs));
  const neuronTtft = median(neuronRuns.map((r) => r.ttftMs));
  const single = aggregate[0]![1];
  const md = [
    `## Neuron vs raw node-llama-cpp (\`npm run bench:neuron\`)`,
    '',
    `${machine()}; preset \`${PRESET}\` q8_0, ${THREADS} thread(s), greedy, ${TOKENS} tokens, median of ${RUNS} runs after one warm-up, ${new Date().toISOString().slice(0, 10)}.`,
    '',
    '| path | TTFT (ms) | decode tok/s |',
    '| --- | --- | --- |',
    `| raw LlamaChat, in process | ${rawTtft.toFixed(1)} | ${rawDecode.toFixed(1)} |`,
    `| neuron, HTTP streaming, max_in_flight 1 (client-measured) | ${neuronTtft.toFixed(1)} | ${neuronDecode.toFixed(1)} |`,
    `| **neuron / raw** | **+${(neuronTtft - rawTtft).toFixed(1)} ms** | **${(neuronDecode / rawDecode).toFixed(3)}** |`,
    '',
    `Aggregate decode across concurrent streams on one model (max_in_flight ${MAX_IN_FLIGHT}: one context, one sequence per stream):`,
    '',
    '| streams | aggregate tok/s | × one stream |',
    '| --- | --- | --- |',
    ...aggregate.map(([n, tps]) => `| ${n} | ${tps.toFixed(1)} | ${(tps / single).toFixed(2)} |`),
  ].join('\n');
  console.log(md);
  writeSection('neuron', md);
}

void main();
