/**
 * `npm run bench:resume`: what a resume costs the client. Two real neurons (CPU) serve one scripted
 * model that thinks and then answers at length; a streamed chat request runs uninterrupted, then
 * again with the serving neuron's device worker SIGKILLed after 100 answer chunks. Measured at the
 * client: the normal gap between chunks, TTFT, the longest gap after the kill (chunks already on the
 * wire arrive first; the gap is the stall while the other replica takes over), and the whole
 * answer's time, which must be the same text either way. Each pair of neurons takes
 * at most four kills (a worker killed five times in two minutes is marked failed, by design).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeScriptedModel } from '@app/core';
import { SseParser } from '@app/translate';
import { machine, median, percentile, startCli, startNeuron, writeSection } from './lib';

const PAIRS = Number(process.env.CORTEX_BENCH_PAIRS ?? 3);
const KILLS_PER_PAIR = 4;
const KILL_AFTER = 100;

const WORDS = Array.from({ length: 400 }, (_, i) => `w${i.toString(36)}x`);
const THOUGHT = `Let me think. ${WORDS.slice(0, 80).join(' ')}.`;
const ANSWER = `Here it is. ${WORDS.slice(80).join(' ')}.`;

interface Run {
  text: string;
  ttft: number;
  gaps: number[];
  total: number;
  /** Resumed runs: the longest gap between chunks after the kill (the stall while another replica takes over). */
  resume?: number;
}

async function run(url: string, kill?: () => Promise<void>): Promise<Run> {
  const t0 = performance.now();
  const res = await fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'long', stream: true, temperature: 0, messages: [{ role: 'user', content: 'go' }] }),
  });
  if (res.status !== 200) throw new Error(`HTTP ${res.status}: ${await res.text()}`);
  const parser = new SseParser();
  const decoder = new TextDecoder();
  const out: Run = { text: '', ttft: 0, gaps: [], total: 0 };
  let last = 0;
  let chunks = 0;
  let killedAt = 0;
  for await (const bytes of res.body as unknown as AsyncIterable<Uint8Array>) {
    for (const item of parser.push(decoder.decode(bytes, { stream: true }))) {
      if (item.kind === 'done') continue;
      const c = JSON.parse(item.data) as {
        error?: { message: string };
        choices?: Array<{ delta?: { content?: string; reasoning_content?: string } }>;
      };
      if (c.error) throw new Error(c.error.message);
      const d = c.choices?.[0]?.delta;
      const piece = (d?.reasoning_content ?? '') + (d?.content ?? '');
      if (!piece) continue;
      const now = performance.now();
      if (!out.ttft) out.ttft = now - t0;
      else if (killedAt) out.resume = Math.max(out.resume ?? now - killedAt, now - last);
      else out.gaps.push(now - last);
      last = now;
      out.text += piece;
      if (d?.content && ++chunks === KILL_AFTER && kill) {
        await kill();
        killedAt = performance.now();
      }
    }
  }
  out.total = performance.now() - t0;
  return out;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'cortex-bench-resume-'));
  const models = join(dir, 'models');
  mkdirSync(models);
  makeScriptedModel({
    out: join(models, 'long.gguf'),
    script: ['<think>', '\n', THOUGHT, '\n', '</think>', '\n\n', ANSWER, '<|im_end|>'],
    context: 4096,
  });
  const plain: Run[] = [];
  const resumed: Run[] = [];
  try {
    for (let p = 0; p < PAIRS; p++) {
      const neurons: Array<Awaited<ReturnType<typeof startNeuron>>> = [];
      for (const name of ['a', 'b']) {
        const nd = join(dir, `${name}${p}`);
        mkdirSync(nd);
        neurons.push(
          await startNeuron(
            nd,
            `threads = 1\nmodels_dir = "${models}"\n[[preload]]\nid = "long"\nsource = "long.gguf"\ncontext_size = 4096\n`,
          ),
        );
      }
      const cfg = join(dir, `cortex${p}.toml`);
      writeFileSync(
        cfg,
        '[gateway]\nlisten = "127.0.0.1:0"\nmetrics_listen = "127.0.0.1:0"\n[poller]\ninterval_ms = 200\n' +
          neurons.map((n, i) => `[[neurons]]\nname = "n${i}"\nendpoint = "${n.url}"\n`).join(''),
      );
      const gw = await startCli(['serve', '--config', cfg]);
      const ready = async () => {
        for (const n of neurons) {
          for (;;) {
            const m = (await (await fetch(`${n.url}/models`)).json()) as { data: Array<{ status: string }> };
            if (m.data[0]?.status === 'loaded') break;
            await new Promise((r) => setTimeout(r, 100));
          }
        }
        await new Promise((r) => setTimeout(r, 800));
      };
      /** SIGKILLs the worker of the neuron generating now. */
      const kill = async () => {
        for (const n of neurons) {
          const h = (await (await fetch(`${n.url}/health`)).json()) as {
            devices: Array<{ pid: number }>;
            models: Array<{ in_flight: number }>;
          };
          if (h.models[0]?.in_flight) return void process.kill(h.devices[0]!.pid, 'SIGKILL');
        }
        throw new Error('no neuron is generating');
      };
      await run(gw.url); // warm both paths once
      for (let k = 0; k < KILLS_PER_PAIR; k++) {
        await ready();
        plain.push(await run(gw.url));
        await ready();
        const r = await run(gw.url, kill);
        if (r.text !== plain[0]!.text) {
          const at = [...r.text].findIndex((ch, i) => ch !== plain[0]!.text[i]);
          throw new Error(
            `the resumed answer differs from the uninterrupted one at ${at}: ` +
              `${JSON.stringify(r.text.slice(Math.max(0, at - 40), at + 60))} vs ${JSON.stringify(plain[0]!.text.slice(Math.max(0, at - 40), at + 60))}`,
          );
        }
        resumed.push(r);
      }
      await gw.stop();
      for (const n of neurons) await n.stop();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const gaps = plain.flatMap((r) => r.gaps);
  const resumeMs = resumed.map((r) => r.resume!);
  const f = (x: number) => x.toFixed(1);
  const md = [
    '## A stream survives its neuron: the cost of a resume (`npm run bench:resume`)',
    '',
    `${machine()}, ${new Date().toISOString().slice(0, 10)}. Two neurons (one CPU thread each) serve a`,
    `scripted model (built-in vocabulary) that thinks for ${THOUGHT.split(' ').length} words and answers in`,
    `${ANSWER.split(' ').length}; greedy, streamed chat through one gateway. The resumed runs SIGKILL the serving`,
    `neuron's device worker after ${KILL_AFTER} answer chunks; the other replica goes on with the answer`,
    '(the conversation plus the answer so far, `continue_final_message`). Every resumed answer was the',
    `uninterrupted one, byte for byte. ${plain.length} runs each way, measured at the client:`,
    '',
    '| | p50 | p90 | max |',
    '| --- | --- | --- | --- |',
    `| gap between chunks, uninterrupted | ${f(median(gaps))} ms | ${f(percentile(gaps, 90))} ms | ${f(Math.max(...gaps))} ms |`,
    `| TTFT of a fresh request | ${f(median(plain.map((r) => r.ttft)))} ms | ${f(
      percentile(
        plain.map((r) => r.ttft),
        90,
      ),
    )} ms | ${f(Math.max(...plain.map((r) => r.ttft)))} ms |`,
    `| longest gap between chunks, uninterrupted | ${f(median(plain.map((r) => Math.max(...r.gaps))))} ms | ${f(
      percentile(
        plain.map((r) => Math.max(...r.gaps)),
        90,
      ),
    )} ms | ${f(Math.max(...gaps))} ms |`,
    `| **longest gap after the kill (the resume's stall)** | **${f(median(resumeMs))} ms** | ${f(percentile(resumeMs, 90))} ms | ${f(Math.max(...resumeMs))} ms |`,
    `| whole answer, uninterrupted | ${f(median(plain.map((r) => r.total)))} ms | | |`,
    `| whole answer, resumed | ${f(median(resumed.map((r) => r.total)))} ms | | |`,
    '',
    'A resume costs what detecting the death, routing and the other replica’s prefill of the conversation',
    'plus the answer so far take; the client keeps the chunks it has and sees one answer.',
  ].join('\n');
  console.log(md);
  writeSection('resume', md);
}

void main().catch((err) => {
  console.error(err);
  process.exit(1);
});
