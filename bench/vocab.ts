/**
 * `npm run bench:vocab`: what a real vocabulary costs. The same scripted model (one layer, same
 * width) with the built-in 1.5k-token vocabulary and with Qwen3's (152k), gpt-oss's (200k) and
 * Gemma 3's (262k) real ones, served by a real neuron: decode tok/s of a long plain answer, and
 * tok/s of a long tool call's arguments, generated under node-llama-cpp's JSON-schema grammar. The
 * output head and the sampler see every token of the vocabulary at every step, and the grammar checks
 * candidates against it; both grow with the vocabulary. Rounds are interleaved; medians are reported.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SseParser } from '@app/translate';
import { FAMILIES, QUESTION, type ScriptTexts } from '../test/helpers/families';
import { tokenizerDir } from '../test/helpers/package-cache';
import { machine, median, startNeuron, writeSection } from './lib';

const CLI = join(__dirname, '..', 'apps', 'cli', 'src', 'main.js');
const ROUNDS = Number(process.env.CORTEX_BENCH_ROUNDS ?? 3);
const WORDS = Number(process.env.CORTEX_BENCH_WORDS ?? 150);
const FAMILY_IDS = ['qwen3', 'gpt-oss', 'gemma3'];

/** `n` made-up words (seeded), so no three-token context repeats in any vocabulary. */
function words(n: number, seed: number): string {
  let x = seed * 2654435761;
  const next = (m: number) => ((x = (Math.imul(x, 1103515245) + 12345) >>> 0) >>> 8) % m;
  const c = 'bcdfghjklmnprstvwz';
  const v = 'aeiou';
  const syllable = () => c[next(c.length)]! + v[next(v.length)]!;
  return Array.from({ length: n }, () => syllable() + syllable() + (next(2) ? syllable() : '')).join(' ');
}

const TOOL = {
  name: 'get_weather',
  description: 'the weather now',
  parameters: {
    type: 'object',
    properties: { note: { type: 'string' }, city: { type: 'string' } },
    required: ['note', 'city'],
  },
};

function texts(seed: number): ScriptTexts {
  return {
    thought: 'I call the tool.',
    args: `{"note": "${words(WORDS, seed)}", "city": "Paris"}`,
    answer: words(WORDS, seed + 1),
    answerThought: 'The tool answered.',
  };
}

/** The built-in vocabulary's Qwen-style call (as test/helpers/weather-script.ts). */
const builtinCall = (t: ScriptTexts) => ({
  script: [
    '<tool_call>',
    '\n',
    ...['{', '"', 'na', 'me', '"', ':', '▁"'].map((token) => ({ token })),
    { context: ['"', ':', '▁'] },
    t.args,
    ...['\n', '\n', '\n', '\n'],
    { context: ['}', '\n', '</tool_call>'] },
  ],
});

/** A family's script reduced to its answer, generated from the first turn's prompt. */
function textOnly(script: Record<string, unknown>, t: ScriptTexts): Record<string, unknown> {
  const parts = script.parts as Array<{ when?: Record<string, boolean>; steps: unknown[] }> | undefined;
  if (!parts) return { promptTail: script.promptTail, script: [t.answer] };
  const answer = parts.find((p) => p.when?.answer)!;
  return { parts: [{ ...answer, when: undefined }] };
}

interface Variant {
  id: string;
  /** make-model flags besides --script and --out. */
  flags: string[];
  call: (t: ScriptTexts) => Record<string, unknown>;
  text: (t: ScriptTexts) => Record<string, unknown>;
}

function variants(): Variant[] {
  const families = FAMILIES.filter((f) => FAMILY_IDS.includes(f.id)).map((f): Variant => ({
    id: f.id,
    flags: [
      '--tokenizer',
      tokenizerDir(f.pkg),
      '--arch',
      f.arch,
      ...(f.template ? ['--chat-template', f.template] : []),
    ],
    call: (t) => f.script(t),
    text: (t) => textOnly(f.script(t), t),
  }));
  return [{ id: 'builtin', flags: [], call: builtinCall, text: (t) => ({ script: [t.answer] }) }, ...families];
}

/** Writes the model for `script`, trying seeds until no three-token context repeats; its vocabulary size. */
function make(dir: string, name: string, v: Variant, script: (t: ScriptTexts) => Record<string, unknown>): number {
  for (let seed = 1; seed <= 20; seed++) {
    const file = join(dir, `${name}.json`);
    writeFileSync(file, JSON.stringify(script(texts(seed * 10))));
    const r = spawnSync(
      process.execPath,
      [CLI, 'make-model', '--script', file, ...v.flags, '--out', join(dir, `${name}.gguf`)],
      {
        encoding: 'utf8',
      },
    );
    if (r.status === 0) {
      console.error(`${name}: ${r.stdout.trim()}`);
      return Number(/(\d+)-token/.exec(r.stdout)![1]);
    }
    if (!/repeats the context/.test(r.stderr)) throw new Error(r.stderr);
  }
  throw new Error(`${name}: no seed gave a script without a repeated context`);
}

/** Streams a chat completion and times the chunks of one kind (answer text, or call arguments). */
async function rate(
  url: string,
  body: Record<string, unknown>,
  kind: 'text' | 'args',
): Promise<{ tokS: number; n: number }> {
  const res = await fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ ...body, stream: true, temperature: 0, max_tokens: 2000 }),
  });
  if (!res.ok) throw new Error(`HTTP ${res.status}: ${await res.text()}`);
  const parser = new SseParser();
  const decoder = new TextDecoder();
  const times: number[] = [];
  for await (const bytes of res.body!) {
    for (const item of parser.push(decoder.decode(bytes as Uint8Array, { stream: true }))) {
      if (item.kind !== 'data') continue;
      const delta = (JSON.parse(item.data) as { choices?: Array<{ delta?: Record<string, unknown> }> }).choices?.[0]
        ?.delta;
      const calls = delta?.tool_calls as Array<{ function?: { arguments?: string } }> | undefined;
      const hit = kind === 'text' ? Boolean(delta?.content) : Boolean(calls?.[0]?.function?.arguments);
      if (hit) times.push(performance.now());
    }
  }
  if (times.length < 20) throw new Error(`only ${times.length} ${kind} chunks: the script did not run`);
  return { tokS: (times.length - 1) / ((times.at(-1)! - times[0]!) / 1000), n: times.length };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'cortex-bench-vocab-'));
  try {
    const all = variants();
    const sizes: Record<string, number> = {};
    for (const v of all) {
      make(dir, `${v.id}-call`, v, v.call);
      sizes[v.id] = make(dir, `${v.id}-text`, v, v.text);
    }
    const preload = all.flatMap((v) =>
      ['call', 'text'].map(
        (k) => `[[preload]]\nid = "${v.id}-${k}"\nsource = "${v.id}-${k}.gguf"\ncontext_size = 4096\n`,
      ),
    );
    const neuron = await startNeuron(dir, `models_dir = "."\nthreads = 1\n${preload.join('')}`);
    try {
      for (;;) {
        const models = (await (await fetch(`${neuron.url}/models`)).json()) as { data: Array<{ status: string }> };
        if (models.data.length === 2 * all.length && models.data.every((m) => m.status === 'loaded')) break;
        await new Promise((r) => setTimeout(r, 200));
      }
      const tools = [{ type: 'function', function: TOOL }];
      const messages = [{ role: 'user', content: QUESTION }];
      const decode: Record<string, number[]> = {};
      const calls: Record<string, number[]> = {};
      for (let round = 0; round < ROUNDS; round++) {
        for (const v of round % 2 ? [...all].reverse() : all) {
          (decode[v.id] ??= []).push((await rate(neuron.url, { model: `${v.id}-text`, messages }, 'text')).tokS);
          (calls[v.id] ??= []).push((await rate(neuron.url, { model: `${v.id}-call`, tools, messages }, 'args')).tokS);
        }
      }
      const base = { decode: median(decode.builtin!), calls: median(calls.builtin!) };
      const rows = all.map((v) => {
        const d = median(decode[v.id]!);
        const c = median(calls[v.id]!);
        const name = v.id === 'builtin' ? 'built-in' : v.id;
        return `| ${name} | ${sizes[v.id]!.toLocaleString('en-US')} | ${d.toFixed(0)} | ${(d / base.decode).toFixed(2)}× | ${c.toFixed(0)} | ${(c / base.calls).toFixed(2)}× |`;
      });
      const section = [
        '## What a real vocabulary costs (`npm run bench:vocab`)',
        '',
        `${machine()}, ${new Date().toISOString().slice(0, 10)}. One scripted model (one layer, 704 wide, q8_0 tied embeddings), with the built-in vocabulary and with real ones; a real neuron, one thread, greedy; ${WORDS} made-up words per answer and per call argument; medians of ${ROUNDS} interleaved rounds. Decode: the answer's text chunks per second after the first. Tool call: argument fragments per second, generated under node-llama-cpp's grammar for the tool's JSON schema. Ratios are against the built-in vocabulary in the same run.`,
        '',
        '| vocabulary | tokens | decode tok/s | × built-in | tool-call tok/s | × built-in |',
        '| --- | --- | --- | --- | --- | --- |',
        ...rows,
      ].join('\n');
      console.log(section);
      writeSection('vocab', section);
    } finally {
      await neuron.stop();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

void main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
