/**
 * `npm run bench:engine`: native llama.cpp against node-llama-cpp against the neuron, on the same
 * generated GGUF with the same threads, one run: batch-1 decode and aggregate decode at 1/2/4/8
 * concurrent sequences. Native tools are built once from the llama.cpp source node-llama-cpp ships
 * (offline, CPU only) into .cortex/llama-native, or taken from CORTEX_LLAMA_BIN.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeModel, type PresetName } from '@app/core';
import { ROOT, machine, median, startCli, timedStream, writeSection } from './lib';

const PRESET = (process.env.CORTEX_BENCH_PRESET ?? 'small') as PresetName;
const THREADS = Number(process.env.CORTEX_BENCH_THREADS ?? 1);
const TG = 128;
const SEQS = [1, 2, 4, 8];

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

function native(bin: string, model: string): { tg: number; batched: Map<number, number> } {
  const bench = execFileSync(
    join(bin, 'llama-bench'),
    ['-m', model, '-t', String(THREADS), '-p', '0', '-n', String(TG), '-r', '3', '-o', 'json'],
    { encoding: 'utf8' },
  );
  const tg = (JSON.parse(bench) as Array<{ avg_ts: number }>)[0]!.avg_ts;
  const out = execFileSync(
    join(bin, 'llama-batched-bench'),
    [
      '-m',
      model,
      '-t',
      String(THREADS),
      '-c',
      String(256 * 8 * 2),
      '-npp',
      '64',
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
  return { tg, batched };
}

async function raw(model: string): Promise<{ tg: number; batched: Map<number, number> }> {
  const nlc = await import('node-llama-cpp');
  const llama = await nlc.getLlama({ gpu: false, maxThreads: THREADS, build: 'never', progressLogs: false });
  const m = await llama.loadModel({ modelPath: model });
  const prompt = m.tokenize('The quick brown fox jumps over the lazy dog. '.repeat(5)).slice(0, 64);
  const run = async (n: number) => {
    const ctx = await m.createContext({ contextSize: 512, sequences: n, threads: THREADS });
    let first = Infinity;
    let last = 0;
    let total = 0;
    await Promise.all(
      Array.from({ length: n }, async () => {
        const seq = ctx.getSequence();
        let k = 0;
        for await (const _ of seq.evaluate(prompt, { temperature: 0 })) {
          const now = performance.now();
          if (k === 0) first = Math.min(first, now);
          last = Math.max(last, now);
          if (++k >= TG) break;
        }
        total += k - 1;
      }),
    );
    await ctx.dispose();
    return total / ((last - first) / 1000);
  };
  const batched = new Map<number, number>();
  for (const n of SEQS) batched.set(n, await run(n));
  const tg = median([await run(1), await run(1), await run(1)]);
  await llama.dispose();
  return { tg, batched };
}

async function neuron(dir: string, file: string): Promise<{ tg: number; batched: Map<number, number> }> {
  const measure = async (maxInFlight: number, streams: number[]) => {
    writeFileSync(
      join(dir, 'neuron.toml'),
      `listen = "127.0.0.1:0"\ndevices = ["cpu"]\nthreads = ${THREADS}\nmodels_dir = "models"\n[admission]\nmax_in_flight = ${maxInFlight}\n` +
        `[[preload]]\nid = "m"\nsource = "${file}"\ncontext_size = 512\n`,
    );
    const n = await startCli(['neuron', '--config', join(dir, 'neuron.toml')]);
    try {
      for (;;) {
        const models = (await (await fetch(`${n.url}/models`)).json()) as { data: Array<{ status: string }> };
        if (models.data[0]?.status === 'loaded') break;
        await new Promise((r) => setTimeout(r, 100));
      }
      const body = {
        model: 'm',
        messages: [{ role: 'user', content: 'The quick brown fox' }],
        max_tokens: TG,
        temperature: 0,
      };
      await timedStream(n.url, body);
      const out = new Map<number, number>();
      for (const s of streams) {
        const all = await Promise.all(Array.from({ length: s }, () => timedStream(n.url, body)));
        const start = Math.min(...all.map((r) => r.firstAt));
        const end = Math.max(...all.map((r) => r.lastAt));
        out.set(s, all.reduce((sum, r) => sum + r.tokens - 1, 0) / ((end - start) / 1000));
      }
      return out;
    } finally {
      await n.stop();
    }
  };
  const single = await measure(1, [1, 1, 1]);
  return { tg: single.get(1)!, batched: await measure(8, SEQS) };
}

async function main(): Promise<void> {
  const bin = nativeBin();
  const dir = mkdtempSync(join(tmpdir(), 'cortex-bench-engine-'));
  try {
    mkdirSync(join(dir, 'models'));
    const file = `${PRESET}.gguf`;
    const model = join(dir, 'models', file);
    makeModel({ preset: PRESET, out: model, quant: 'q8_0' });
    const n = native(bin, model);
    const r = await raw(model);
    const h = await neuron(dir, file);
    const row = (s: number) =>
      `| ${s} | ${n.batched.get(s)?.toFixed(1)} | ${r.batched.get(s)!.toFixed(1)} (${(r.batched.get(s)! / n.batched.get(s)!).toFixed(2)}×) | ${h.batched.get(s)!.toFixed(1)} (${(h.batched.get(s)! / n.batched.get(s)!).toFixed(2)}×) |`;
    const md = [
      '## Engine: native llama.cpp vs node-llama-cpp vs neuron (`npm run bench:engine`)',
      '',
      `${machine()}; preset \`${PRESET}\` q8_0, ${THREADS} thread(s), greedy, ${TG} generated tokens, node-llama-cpp 3.21.1 with patches/node-llama-cpp+3.21.1.patch, ${new Date().toISOString().slice(0, 10)}.`,
      '',
      '| batch-1 decode | tok/s | × native |',
      '| --- | --- | --- |',
      `| native \`llama-bench\` tg${TG} | ${n.tg.toFixed(1)} | 1.00 |`,
      `| node-llama-cpp, \`sequence.evaluate\` | ${r.tg.toFixed(1)} | ${(r.tg / n.tg).toFixed(2)} |`,
      `| neuron over HTTP (max_in_flight 1) | ${h.tg.toFixed(1)} | ${(h.tg / n.tg).toFixed(2)} |`,
      '',
      '| sequences | native `llama-batched-bench` S_TG | node-llama-cpp aggregate | neuron aggregate (max_in_flight 8) |',
      '| --- | --- | --- | --- |',
      ...SEQS.map(row),
    ].join('\n');
    console.log(md);
    writeSection('engine', md);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

void main();
