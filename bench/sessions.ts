/**
 * `npm run bench:sessions`: N agent sessions (1, 4, 16) replay a multi-turn agent conversation — a
 * long system prompt with tools, growing every turn — interleaved round-robin on one model of one
 * neuron (CPU default: one seat), with the session features on (idle KV sequences, the host-RAM
 * tier, a session key per conversation) and off (one sequence per seat, no tier). Reports TTFT per
 * turn, the prefix hit rate (prompt tokens reused / prompt tokens, turns 2+) and the prompt tokens
 * actually prefilled.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeModel, type PresetName } from '@app/core';
import { SseParser } from '@app/translate';
import { machine, median, startNeuron, writeSection } from './lib';

const PRESET = (process.env.CORTEX_BENCH_PRESET ?? 'small') as PresetName;
const THREADS = Number(process.env.CORTEX_BENCH_THREADS ?? 2);
const SESSIONS = (process.env.CORTEX_BENCH_SESSIONS ?? '1,4,16').split(',').map(Number);
const TURNS = Number(process.env.CORTEX_BENCH_TURNS ?? 3);
const SYSTEM_WORDS = Number(process.env.CORTEX_BENCH_SYSTEM_WORDS ?? 300);
const CONTEXT = Number(process.env.CORTEX_BENCH_CONTEXT ?? 4096);

type Msg = { role: string; content: string };
interface Turn {
  session: number;
  turn: number;
  ttftMs: number;
  prompt: number;
  cached: number;
}

/** An agent's opening: its own system prompt with tool descriptions, and a task. */
function opening(n: number): Msg[] {
  const tools = ['read_file', 'write_file', 'bash', 'grep', 'list_dir']
    .map((t) => `Tool ${t}: ${'does careful work on the repository '.repeat(4)}`)
    .join('\n');
  return [
    {
      role: 'system',
      content: `You are coding agent ${n}.\n${tools}\n${'Follow the rules. '.repeat(SYSTEM_WORDS / 3)}`,
    },
    { role: 'user', content: `Fix bug ${n} in the parser.` },
  ];
}

async function turn(url: string, messages: Msg[], session?: string): Promise<Omit<Turn, 'session' | 'turn'>> {
  const sent = performance.now();
  const res = await fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(session ? { 'x-cortex-session': session } : {}) },
    body: JSON.stringify({
      model: 'm',
      messages,
      max_tokens: 8,
      temperature: 0,
      stream: true,
      stream_options: { include_usage: true },
    }),
  });
  const parser = new SseParser();
  const decoder = new TextDecoder();
  let first = 0;
  let text = '';
  let usage = { prompt_tokens: 0, prompt_tokens_details: { cached_tokens: 0 } };
  for await (const chunk of res.body!) {
    for (const item of parser.push(decoder.decode(chunk as Uint8Array, { stream: true }))) {
      if (item.kind !== 'data') continue;
      const c = JSON.parse(item.data) as { choices?: Array<{ delta?: { content?: string } }>; usage?: typeof usage };
      const delta = c.choices?.[0]?.delta?.content;
      if (delta) {
        first ||= performance.now();
        text += delta;
      }
      if (c.usage) usage = c.usage;
    }
  }
  messages.push({ role: 'assistant', content: text }, { role: 'user', content: 'Good. Now run the tests and go on.' });
  return {
    ttftMs: (first || performance.now()) - sent,
    prompt: usage.prompt_tokens,
    cached: usage.prompt_tokens_details?.cached_tokens ?? 0,
  };
}

async function replay(dir: string, sessions: number, on: boolean): Promise<Turn[]> {
  const features = on
    ? '[sessions]\nidle_sequences = 2\nhost_cache_mb = 2048\n'
    : '[sessions]\nidle_sequences = 0\nhost_cache_mb = 0\n';
  const neuron = await startNeuron(
    dir,
    `threads = ${THREADS}\n${features}[[preload]]\nid = "m"\nsource = "${PRESET}.gguf"\ncontext_size = ${CONTEXT}\n`,
  );
  try {
    // One unrelated request first, so no session's first turn pays the worker's first decode.
    await turn(neuron.url, [{ role: 'user', content: 'warm up' }]);
    const convs = Array.from({ length: sessions }, (_, i) => opening(i));
    const out: Turn[] = [];
    for (let t = 0; t < TURNS; t++) {
      for (const [i, conv] of convs.entries()) {
        const key = on ? createHash('sha256').update(`bench-${i}`).digest('hex').slice(0, 32) : undefined;
        out.push({ session: i, turn: t + 1, ...(await turn(neuron.url, conv, key)) });
      }
    }
    return out;
  } finally {
    await neuron.stop();
  }
}

function summary(turns: Turn[]) {
  const later = turns.filter((t) => t.turn > 1);
  return {
    first: median(turns.filter((t) => t.turn === 1).map((t) => t.ttftMs)),
    later: median(later.map((t) => t.ttftMs)),
    hit:
      later.reduce((s, t) => s + t.cached, 0) /
      Math.max(
        1,
        later.reduce((s, t) => s + t.prompt, 0),
      ),
    prefilled: turns.reduce((s, t) => s + t.prompt - t.cached, 0),
    prompt: turns.reduce((s, t) => s + t.prompt, 0),
  };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'cortex-bench-sessions-'));
  try {
    mkdirSync(join(dir, 'models'));
    makeModel({ preset: PRESET, out: join(dir, 'models', `${PRESET}.gguf`), quant: 'q8_0' });
    const rows: string[] = [];
    const results = new Map<string, ReturnType<typeof summary>>();
    for (const n of SESSIONS) {
      for (const on of [true, false]) {
        const s = summary(await replay(dir, n, on));
        results.set(`${n}:${on}`, s);
        const row =
          `| ${n} | ${on ? 'on' : 'off'} | ${s.first.toFixed(0)} | ${s.later.toFixed(0)} | ` +
          `${(100 * s.hit).toFixed(1)}% | ${s.prefilled} of ${s.prompt} |`;
        console.log(row);
        rows.push(row);
      }
    }
    const single = results.get('1:true');
    const four = results.get('4:true');
    const verdict =
      single && four
        ? `With 4 interleaved sessions, turn-2+ TTFT is ${(four.later / single.later).toFixed(2)}× the single-session ` +
          `figure (target ≤ 2×) and the prefix hit rate ${(100 * four.hit).toFixed(1)}% (target ≥ 90%): ` +
          `${four.later <= 2 * single.later && four.hit >= 0.9 ? 'met' : 'missed'}.`
        : '';
    const md = [
      `## Agent sessions, \`${PRESET}\` preset: prefix-aware KV sequences and the host tier (\`npm run bench:sessions\`)`,
      '',
      `${machine()}; preset \`${PRESET}\` q8_0, ${THREADS} threads, context ${CONTEXT}, one seat (the CPU default), ` +
        `${TURNS} turns per session round-robin, greedy, 8 tokens per answer, ${new Date().toISOString().slice(0, 10)}. ` +
        '"on": 2 idle sequences beyond the seat, a 2 GB host tier and a session key per conversation; "off": one ' +
        'sequence, no tier. TTFT is client-measured (median); the hit rate is prompt tokens reused over prompt tokens, ' +
        'turns 2+; prefilled counts the prompt tokens actually evaluated, all turns.',
      '',
      '| sessions | features | turn-1 TTFT (ms) | turn-2+ TTFT (ms) | prefix hit rate | prompt tokens prefilled |',
      '| --- | --- | --- | --- | --- | --- |',
      ...rows,
      '',
      verdict,
    ].join('\n');
    console.log(md);
    writeSection(PRESET === 'small' ? 'sessions' : `sessions-${PRESET}`, md);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

void main();
