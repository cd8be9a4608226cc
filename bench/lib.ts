/**
 * Shared pieces of the benchmarks: starting the built CLI as a process, streaming a chat request
 * and timing its tokens, statistics, and writing a section of docs/benchmarks.md.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { SseParser } from '@app/translate';
import { join } from 'node:path';

export const ROOT = join(__dirname, '..', '..');
const CLI = join(__dirname, '..', 'apps', 'cli', 'src', 'main.js');

export function startCli(
  args: string[],
  cli = CLI,
  nodeArgs: string[] = [],
): Promise<{ url: string; banner: string; child: ChildProcess; stop(): Promise<void> }> {
  const child = spawn(process.execPath, [...nodeArgs, cli, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  return new Promise((resolve, reject) => {
    const onData = (d: Buffer) => {
      out += d.toString();
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) {
        // From here on its output (one log line per request) is drained, not kept: keeping it
        // would cost the benchmark's own process time.
        child.stdout!.off('data', onData);
        child.stderr!.off('data', onData);
        child.stdout!.resume();
        child.stderr!.resume();
        resolve({
          url: m[1]!,
          banner: out,
          child,
          stop: () =>
            new Promise<void>((r) => {
              child.on('exit', () => r());
              child.kill('SIGTERM');
            }),
        });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('exit', (code) => reject(new Error(`cortex ${args[0]} exited ${code}:\n${out}`)));
  });
}

/**
 * Writes `dir`/neuron.toml (listening on a free port, CPU device, `token` when given, plus `toml`),
 * starts `cortex neuron` on it and resolves once its first model is loaded.
 */
export async function startNeuron(
  dir: string,
  toml: string,
  token?: string,
): Promise<Awaited<ReturnType<typeof startCli>>> {
  const config = join(dir, 'neuron.toml');
  writeFileSync(config, `listen = "127.0.0.1:0"\ndevices = ["cpu"]\n${token ? `token = "${token}"\n` : ''}${toml}`);
  const neuron = await startCli(['neuron', '--config', config]);
  const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
  for (;;) {
    const models = (await (await fetch(`${neuron.url}/models`, { headers })).json()) as {
      data: Array<{ status: string }>;
    };
    if (models.data[0]?.status === 'loaded') return neuron;
    await new Promise((r) => setTimeout(r, 100));
  }
}

export interface StreamTiming {
  /** ms from sending the request to the first content token. */
  ttftMs: number;
  tokens: number;
  promptTokens: number;
  firstAt: number;
  lastAt: number;
  /** arrival time of every content chunk (one per token, bar tokens that complete no character). */
  times: number[];
  /** decode tok/s: tokens after the first over the time after the first. */
  decodeTokS: number;
}

/** Streams one chat (or text) completion and times every content chunk as it arrives. */
export async function timedStream(
  url: string,
  body: Record<string, unknown>,
  path = '/v1/chat/completions',
): Promise<StreamTiming> {
  const sent = performance.now();
  const res = await fetch(`${url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ ...body, stream: true }),
  });
  if (!res.ok) throw new Error(`HTTP ${res.status}: ${await res.text()}`);
  const parser = new SseParser();
  const decoder = new TextDecoder();
  let firstAt = 0;
  let lastAt = 0;
  const times: number[] = [];
  let usageTokens = 0;
  let promptTokens = 0;
  for await (const bytes of res.body!) {
    for (const item of parser.push(decoder.decode(bytes as Uint8Array, { stream: true }))) {
      if (item.kind !== 'data') continue;
      const chunk = JSON.parse(item.data) as {
        choices: Array<{ delta?: { content?: string }; text?: string }>;
        usage?: { completion_tokens: number; prompt_tokens: number };
      };
      if (chunk.usage) {
        usageTokens = chunk.usage.completion_tokens;
        promptTokens = chunk.usage.prompt_tokens;
      }
      if (chunk.choices[0]?.delta?.content || chunk.choices[0]?.text) {
        const now = performance.now();
        if (!firstAt) firstAt = now;
        lastAt = now;
        times.push(now);
      }
    }
  }
  return {
    ttftMs: firstAt - sent,
    tokens: usageTokens,
    promptTokens,
    firstAt,
    lastAt,
    times,
    decodeTokS: (usageTokens - 1) / ((lastAt - firstAt) / 1000),
  };
}

/**
 * Aggregate decode rate of concurrent streams while all of them are decoding: tokens that arrive
 * between the last stream's first token and the first stream's last token, over that window. It
 * leaves out prefills and stragglers, as llama-batched-bench's S_TG does.
 */
export function steadyRate(streams: number[][]): number {
  const from = Math.max(...streams.map((t) => t[0]!));
  const to = Math.min(...streams.map((t) => t[t.length - 1]!));
  const tokens = streams.reduce((sum, t) => sum + t.filter((x) => x > from && x <= to).length, 0);
  return tokens / ((to - from) / 1000);
}

export const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

export function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
}

/** Replaces (or appends) the section between `<!-- bench:NAME -->` markers in docs/benchmarks.md. */
export function writeSection(name: string, markdown: string): void {
  const file = join(ROOT, 'docs', 'benchmarks.md');
  const begin = `<!-- bench:${name} -->`;
  const end = `<!-- /bench:${name} -->`;
  const doc = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmarks\n';
  const block = `${begin}\n${markdown.trim()}\n${end}`;
  const re = new RegExp(`${begin}[\\s\\S]*?${end}`);
  writeFileSync(file, re.test(doc) ? doc.replace(re, block) : `${doc.trimEnd()}\n\n${block}\n`);
}

export function machine(): string {
  const cpu = readFileSync('/proc/cpuinfo', 'utf8').match(/model name\s*:\s*(.+)/)?.[1] ?? 'unknown CPU';
  return `${cpu.trim()}, ${availableParallelism()} vCPU, Node ${process.version}`;
}

/** CPU ms (user + system) a process has used so far, from /proc (10 ms ticks). */
export function cpuMs(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(f[11]) + Number(f[12])) * (1000 / 100);
}
