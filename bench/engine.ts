/**
 * `npm run bench:engine`: native llama.cpp against node-llama-cpp against the neuron, on the same
 * generated GGUF with the same threads and the same KV depth: batch-1 decode in interleaved rounds,
 * time to first token, and aggregate decode at 1/2/4/8 concurrent sequences. Native tools are built
 * once from the llama.cpp source node-llama-cpp ships (offline, CPU only) into .cortex/llama-native,
 * or taken from CORTEX_LLAMA_BIN.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeModel, type PresetName } from '@app/core';
import { ROOT, machine, median, startNeuron, steadyRate, timedStream, writeSection } from './lib';

const PRESET = (process.env.CORTEX_BENCH_PRESET ?? 'small') as PresetName;
const THREADS = Number(process.env.CORTEX_BENCH_THREADS ?? 1);
const TG = 128;
const SEQS = [1, 2, 4, 8];
const ROUNDS = Number(process.env.CORTEX_BENCH_ROUNDS ?? 5);

function nativeBin(): string {
  if (process.env.CORTEX_LLAMA_BIN) return process.env.CORTEX_LLAMA_BIN;
  const dir = join(ROOT, '.cortex', 'llama-native');
  const bin = join(dir, 'build', 'bin');
  if (existsSync(join(bin, 'llama-batched-bench'))) return bin;
  console.error(
    'building llama-bench and llama-batched-bench from node-llama-cpp’s bundled llama.cpp (several minutes)…',
  );
  const src = join(ROOT, 'node_modules', 'node-llama-cpp', 'llama', 'llama.cpp');
  execFileSync('npx', ['--no', 'node-llama-cpp', 'source', 'download', '--skipBuild'], { cwd: ROOT, stdio: 'inherit' });
  mkdirSync(dir, { recursive: true });
  cpSync(src, dir, { recursive: true });
  rmSync(src, { recursive: true, force: true });
  execFileSync(
    'cmake',
    ['-B', 'build', '-DGGML_NATIVE=ON', '-DGGML_OPENMP=OFF', '-DLLAMA_CURL=OFF', '-DCMAKE_BUILD_TYPE=Release'],
    { cwd: dir, stdio: 'inherit' },
  );
  execFileSync('cmake', ['--build', 'build', '-j2', '--target', 'llama-bench', 'llama-batched-bench'], {
    cwd: dir,
    stdio: 'inherit',
  });
  return bin;
}

/** Runs `llama-bench` with `args` (same threads, JSON out) and returns its one result row. */
function llamaBench(bin: string, model: string, args: string[]): { avg_ts: number; avg_ns: number } {
  const out = execFileSync(join(bin, 'llama-bench'), ['-m', model, '-t', String(THREADS), ...args, '-o', 'json'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  return (JSON.parse(out) as Array<{ avg_ts: number; avg_ns: number }>)[0]!;
}

/** Native tg at a given KV depth (one repetition: the caller interleaves rounds). */
const nativeTg = (bin: string, model: string, depth: number): number =>
  llamaBench(bin, model, ['-p', '0', '-n', String(TG), '-d', String(depth), '-r', '1']).avg_ts;

/** Native prompt processing of `tokens` tokens, in ms: the time to a first token, natively. */
const nativePrefillMs = (bin: string, model: string, tokens: number): number =>
  llamaBench(bin, model, ['-p', String(tokens), '-n', '0', '-r', '5']).avg_ns / 1e6;

function nativeBatched(bin: string, model: string, depth: number): Map<number, number> {
  const out = execFileSync(
    join(bin, 'llama-batched-bench'),
    [
      '-m',
      model,
      '-t',
      String(THREADS),
      '-c',
      String((depth + TG) * 8 * 2),
      '-npp',
      String(depth),
      '-ntg',
      String(TG),
      '-npl',
      SEQS.join(','),
    ],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] },
  );
  const batched = new Map<number, number>();
  for (const line of out.split('\n')) {
    const cols = line.split('|').map((c) => c.trim());
    if (cols.length > 8 && /^\d+$/.test(cols[3] ?? '')) batched.set(Number(cols[3]), Number(cols[8]));
  }
  return batched;
}

/** node-llama-cpp in this process (its defaults, libuv's pool of 4): `sequence.evaluate`, greedy. */
async function rawEngine(model: string, depth: number) {
  const nlc = await import('node-llama-cpp');
  const llama = await nlc.getLlama({ gpu: false, maxThreads: THREADS, build: 'never', progressLogs: false });
  const m = await llama.loadModel({ modelPath: model });
  const prompt = m.tokenize('The quick brown fox jumps over the lazy dog. '.repeat(40)).slice(0, depth);
  const run = async (n: number) => {
    const ctx = await m.createContext({ contextSize: 512, sequences: n, threads: THREADS });
    const streams = await Promise.all(
      Array.from({ length: n }, async () => {
        const seq = ctx.getSequence();
        const times: number[] = [];
        for await (const _ of seq.evaluate(prompt, { temperature: 0 })) {
          times.push(performance.now());
          if (times.length >= TG) break;
        }
        return times;
      }),
    );
    await ctx.dispose();
    return steadyRate(streams);
  };
  return { run, dispose: () => llama.dispose() };
}

/** A neuron process serving the model, with the given admission limit. */
const neuronWith = (dir: string, file: string, maxInFlight: number) =>
  startNeuron(
    dir,
    `threads = ${THREADS}\nmodels_dir = "models"\n[admission]\nmax_in_flight = ${maxInFlight}\n` +
      `[[preload]]\nid = "m"\nsource = "${file}"\ncontext_size = 512\n`,
  );

/** A chat request; `tag` makes the prompt differ from the last one, so no KV prefix is reused. */
const body = (tag: number) => ({
  model: 'm',
  messages: [{ role: 'user', content: `${tag % 10}. ${'The quick brown fox jumps over the lazy dog. '.repeat(5)}` }],
  max_tokens: TG,
  temperature: 0,
});

async function neuronBatched(url: string): Promise<Map<number, number>> {
  const out = new Map<number, number>();
  for (const s of SEQS) {
    const all = await Promise.all(Array.from({ length: s }, (_, i) => timedStream(url, body(i))));
    out.set(s, steadyRate(all.map((r) => r.times)));
  }
  return out;
}

/**
 * A short text completion whose first word differs from the previous request's, so the neuron reuses
 * only the BOS token of its sequence: its time to first token is then prefill of the rest plus cortex.
 */
const WORDS = ['Alpha', 'Bravo', 'Charlie', 'Delta', 'Echo', 'Foxtrot', 'Golf', 'Hotel', 'India', 'Juliett'];
const short = (round: number) => ({
  model: 'm',
  prompt: `${WORDS[round % WORDS.length]} wrote a short note about the weather today.`,
  max_tokens: 2,
  temperature: 0,
});

const fx = (x: number, d = 1) => x.toFixed(d);

async function main(): Promise<void> {
  const bin = nativeBin();
  const dir = mkdtempSync(join(tmpdir(), 'cortex-bench-engine-'));
  try {
    mkdirSync(join(dir, 'models'));
    const file = `${PRESET}.gguf`;
    const model = join(dir, 'models', file);
    makeModel({ preset: PRESET, out: model, quant: 'q8_0' });

    // Batch-1: every engine decodes at the same KV depth (the neuron's chat prompt), in interleaved
    // rounds, so the VM's drift hits all three alike; ratios are medians of per-round ratios.
    const single = await neuronWith(dir, file, 1);
    const warm = await timedStream(single.url, body(0));
    const depth = warm.promptTokens;
    const raw = await rawEngine(model, depth);
    await raw.run(1);
    await timedStream(single.url, short(0), '/v1/completions');
    const rounds: Array<{
      native: number;
      raw: number;
      neuron: number;
      ttft: number;
      shortTtft: number;
      shortTokens: number;
      shortNativeMs: number;
    }> = [];
    try {
      for (let r = 0; r < ROUNDS; r++) {
        const native = nativeTg(bin, model, depth);
        const rawTg = await raw.run(1);
        const h = await timedStream(single.url, body(r + 1));
        const s = await timedStream(single.url, short(r + 1), '/v1/completions');
        rounds.push({
          native,
          raw: rawTg,
          neuron: h.decodeTokS,
          ttft: h.ttftMs,
          shortTtft: s.ttftMs,
          shortTokens: s.promptTokens,
          // in the same round, so drift between the two does not land in the difference
          shortNativeMs: nativePrefillMs(bin, model, s.promptTokens - 1),
        });
      }
    } finally {
      await single.stop();
    }
    const prefillMs = nativePrefillMs(bin, model, depth);
    const shortOverheads = rounds.map((r) => r.shortTtft - r.shortNativeMs);

    // Aggregate decode at 1/2/4/8 concurrent sequences, same depth.
    const nb = nativeBatched(bin, model, depth);
    const rb = new Map<number, number>();
    for (const s of SEQS) rb.set(s, await raw.run(s));
    await raw.dispose();
    const many = await neuronWith(dir, file, 8);
    let hb: Map<number, number>;
    try {
      await timedStream(many.url, body(9));
      hb = await neuronBatched(many.url);
    } finally {
      await many.stop();
    }

    const med = (f: (r: (typeof rounds)[number]) => number) => median(rounds.map(f));
    const ttft = med((r) => r.ttft);
    const row = (s: number) =>
      `| ${s} | ${fx(nb.get(s)!)} | ${fx(rb.get(s)!)} (${fx(rb.get(s)! / nb.get(s)!, 2)}×) | ${fx(hb.get(s)!)} (${fx(hb.get(s)! / nb.get(s)!, 2)}×) |`;
    const md = [
      `## Engine, \`${PRESET}\` preset: native llama.cpp vs node-llama-cpp vs neuron (\`npm run bench:engine\`)`,
      '',
      `${machine()}; preset \`${PRESET}\` q8_0, ${THREADS} thread(s), greedy, ${TG} generated tokens after a ${depth}-token prompt (every engine decodes at that KV depth), node-llama-cpp 3.21.1 with patches/node-llama-cpp+3.21.1.patch, ${new Date().toISOString().slice(0, 10)}.`,
      '',
      `Batch-1 decode, ${ROUNDS} interleaved rounds (native, node-llama-cpp, neuron in turn); medians, and the median of each round's ratio:`,
      '',
      '| batch-1 decode | tok/s (median) | per round | × native (median of rounds) |',
      '| --- | --- | --- | --- |',
      `| native \`llama-bench\` tg${TG} @ d${depth} | ${fx(med((r) => r.native))} | ${rounds.map((r) => fx(r.native)).join(' / ')} | 1.00 |`,
      `| node-llama-cpp \`sequence.evaluate\` (libuv pool of 4) | ${fx(med((r) => r.raw))} | ${rounds.map((r) => fx(r.raw)).join(' / ')} | ${fx(
        med((r) => r.raw / r.native),
        2,
      )} |`,
      `| neuron over HTTP (max_in_flight 1) | ${fx(med((r) => r.neuron))} | ${rounds.map((r) => fx(r.neuron)).join(' / ')} | **${fx(
        med((r) => r.neuron / r.native),
        2,
      )}** |`,
      '',
      'Time to first token: native = prompt processing of the same token count (`llama-bench -p N`, 5 repetitions); neuron = request sent → first content token over HTTP (chat template, tokenizing, sampling, IPC included), median of the rounds:',
      '',
      '| prompt | native ms | neuron ms (per round) | neuron overhead (per round) |',
      '| --- | --- | --- | --- |',
      `| text completion, ${rounds.map((r) => r.shortTokens).join('/')} tokens, BOS reused | ${rounds.map((r) => fx(r.shortNativeMs)).join(' / ')} (prefill of the tokens after BOS) | ${rounds.map((r) => fx(r.shortTtft)).join(' / ')} | **${fx(median(shortOverheads))} ms** (${shortOverheads.map((o) => fx(o)).join(' / ')}) |`,
      `| chat, ${depth} tokens, chat-template prefix reused | ${fx(prefillMs)} | ${fx(ttft)} (${rounds.map((r) => fx(r.ttft)).join(' / ')}) | ${fx(ttft - prefillMs)} ms (a few template tokens are not re-evaluated) |`,
      '',
      '| sequences | native `llama-batched-bench` S_TG | node-llama-cpp aggregate | neuron aggregate (max_in_flight 8) |',
      '| --- | --- | --- | --- |',
      ...SEQS.map(row),
    ].join('\n');
    console.log(md);
    writeSection(PRESET === 'small' ? 'engine' : `engine-${PRESET}`, md);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

void main();
