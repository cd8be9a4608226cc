/**
 * `npm run bench:peers`: what cortex adds in front of a neuron, beside nginx (the floor: one more
 * HTTP hop) and a peer Node gateway (Portkey), in two modes — a fake neuron that answers at once
 * (the proxies' own cost, isolated) and a real neuron with `cortex up`'s demo model (what a user
 * meets: the proxy shares the machine with inference). Non-streaming chat at 1 and 8 clients, open
 * loops, a 75 KB agent request, and paced streams. Targets are interleaved block by block in
 * rotating order, so machine noise lands on all of them alike.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeModel } from '@app/core';
import { startFleet, writeGatewayConfig } from './fleet';
import { machine, percentile, startCli, startNeuron, writeSection } from './lib';
import {
  type Target,
  agent,
  agentBody,
  chatBody,
  closedLoop,
  cpuPerRequest,
  interleaved,
  portkeyTarget,
  startFloor,
  startNginx,
  startPortkey,
} from './proxies';
import { openLoop, streamRows } from './peers-streams';

const PORTKEY = process.env.CORTEX_BENCH_PORTKEY ?? '@portkey-ai/gateway@1.15.2';
const ROUNDS = Number(process.env.CORTEX_BENCH_ROUNDS ?? 6);
const BLOCK = Number(process.env.CORTEX_BENCH_BLOCK ?? 200);
const WARMUP = Number(process.env.CORTEX_BENCH_WARMUP ?? 5000);
const MODES = (process.env.CORTEX_BENCH_MODES ?? 'fake,real').split(',');
/** Another build's dist/apps/cli/src/main.js: a second cortex ("cortex before") joins every table. */
const BASELINE = process.env.CORTEX_BENCH_BASELINE;
/** A folder for V8 CPU profiles of cortex in each mode (open them in Chrome DevTools or speedscope; keep them out of git). */
const PROFILE = process.env.CORTEX_BENCH_PROFILE;
const ms = (x: number) => x.toFixed(2);

type Added = Map<string, Map<string, { p50: number; p99: number }>>;

/** A table of p50 / p99 per target and load, with what each proxy adds over direct. */
class Table {
  readonly rows: string[] = [];
  readonly added: Added = new Map();

  constructor(readonly targets: Target[]) {}

  report(label: string, samples: Map<string, number[]>): void {
    const d = samples.get('direct')!;
    const cols = this.targets.map((t) => {
      const xs = samples.get(t.name)!;
      const p50 = percentile(xs, 50);
      const p99 = percentile(xs, 99);
      if (t.name === 'direct') return `${ms(p50)} / ${ms(p99)}`;
      const a = { p50: p50 - percentile(d, 50), p99: p99 - percentile(d, 99) };
      this.added.set(label, (this.added.get(label) ?? new Map()).set(t.name, a));
      return `${ms(p50)} / ${ms(p99)} (**+${ms(a.p50)}** / +${ms(a.p99)})`;
    });
    this.rows.push(`| ${label} | ${cols.join(' | ')} |`);
    console.log(this.rows.at(-1));
  }

  markdown(): string[] {
    return [
      `| load | ${this.targets.map((t) => t.name).join(' | ')} |`,
      `| --- | ${this.targets.map(() => '---').join(' | ')} |`,
      ...this.rows,
    ];
  }
}

/** CPU ms per request of each proxy in `mode`, by load. */
function cpuTable(mode: string, targets: Target[], loads: string[]): string[] {
  const proxies = targets.filter((t) => t.pids);
  const cell = (t: Target, load: string) => {
    const c = cpuPerRequest.get(`${t.name}|${mode} ${load}`);
    return c ? (c.ms / c.n).toFixed(3) : '—';
  };
  return [
    `| CPU ms per request | ${proxies.map((t) => t.name).join(' | ')} |`,
    `| --- | ${proxies.map(() => '---').join(' | ')} |`,
    ...loads.map((l) => `| ${l} | ${proxies.map((t) => cell(t, l)).join(' | ')} |`),
  ];
}

interface Upstream {
  url: string;
  model: string;
  stop(): Promise<void>;
}

async function fakeUpstream(): Promise<Upstream> {
  const fleet = await startFleet({ neurons: 1, catalogue: ['chat'], options: { tokensPerSecond: 0, pingMs: 60_000 } });
  return { url: fleet.urls[0]!, model: 'chat', stop: fleet.stop };
}

/** A real neuron with `cortex up`'s demo model (tiny preset, trained for 65,536 tokens). */
async function realUpstream(dir: string): Promise<Upstream> {
  mkdirSync(join(dir, 'models'), { recursive: true });
  makeModel({ preset: 'tiny', out: join(dir, 'models', 'demo.gguf'), context: 65536 });
  const neuron = await startNeuron(
    dir,
    `models_dir = "${join(dir, 'models')}"\n[[preload]]\nid = "demo"\nsource = "demo.gguf"\n`,
  );
  return { url: neuron.url, model: 'demo', stop: neuron.stop };
}

/** One mode: every proxy in front of `up`, measured at 1 and 8 clients and with the agent request. */
async function measure(mode: string, up: Upstream, dir: string, stops: Array<() => Promise<void> | void>) {
  const gateway = await startCli(
    ['serve', '--config', writeGatewayConfig(dir, [up.url], [up.model], '[poller]\ninterval_ms = 1000\n')],
    undefined,
    PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${join(PROFILE, mode)}`] : [],
  );
  stops.push(gateway.stop);
  const nginx = await startNginx(dir, up.url);
  stops.push(nginx.stop);
  const floor = await startFloor(up.url);
  stops.push(floor.stop);
  mkdirSync(join(dir, 'before'), { recursive: true });
  const config = writeGatewayConfig(join(dir, 'before'), [up.url], [up.model], '[poller]\ninterval_ms = 1000\n');
  const before = BASELINE ? await startCli(['serve', '--config', config], BASELINE) : undefined;
  if (before) stops.push(before.stop);
  const targets: Target[] = [
    { name: 'direct', url: up.url, headers: {} },
    { name: 'cortex', url: gateway.url, headers: {}, pids: () => [gateway.child.pid!] },
    ...(before ? [{ name: 'cortex before', url: before.url, headers: {}, pids: () => [before.child.pid!] }] : []),
    nginx.target,
    floor.target,
  ];
  if (process.env.CORTEX_BENCH_NO_PEER !== '1') {
    const pk = await startPortkey(PORTKEY, join(dir, 'portkey'));
    stops.push(() => void pk.child.kill('SIGTERM'));
    targets.push(portkeyTarget(pk.url, pk.child.pid!, up.url));
  }
  const small = chatBody(up.model);
  const big = agentBody(up.model);
  // Warm-up: V8 needs a few thousand requests to finish optimising a proxy's request path (cortex
  // used 1.1 ms of CPU per request after 1,000 and 0.4 ms after 5,000); steady state is what a
  // gateway serves in. The agent request warms the neuron's cache of its prompt too.
  const warm = mode === 'fake' ? WARMUP : Math.min(WARMUP, 3000);
  for (const t of targets) {
    await closedLoop(t, 4, warm, small);
    await closedLoop(t, 1, 20, big);
  }
  const table = new Table(targets);
  const loop = (clients: number, n: number, body: string, load: string) => (t: Target) =>
    closedLoop(t, clients, n, body, `${mode} ${load}`);
  table.report('1 client', await interleaved(targets, ROUNDS, loop(1, BLOCK, small, '1 client')));
  table.report('8 clients', await interleaved(targets, ROUNDS, loop(8, BLOCK * 2, small, '8 clients')));
  table.report('75 KB agent request', await interleaved(targets, ROUNDS, loop(1, BLOCK / 4, big, '75 KB')));
  if (mode === 'fake') {
    table.report('50 rps', await interleaved(targets, ROUNDS, (t) => openLoop(t, small, 50, 100)));
    table.report('200 rps', await interleaved(targets, ROUNDS, (t) => openLoop(t, small, 200, 400)));
  }
  return { table, targets, bodyKb: Buffer.byteLength(big) / 1024 };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'cortex-bench-peers-'));
  const stops: Array<() => Promise<void> | void> = [];
  const sections: string[] = [];
  const verdicts: string[] = [];
  try {
    for (const mode of MODES) {
      const modeDir = join(dir, mode);
      mkdirSync(modeDir, { recursive: true });
      const up = mode === 'fake' ? await fakeUpstream() : await realUpstream(modeDir);
      stops.push(up.stop);
      const { table, targets, bodyKb } = await measure(mode, up, modeDir, stops);
      const c1 = table.added.get('1 client')!;
      const c8 = table.added.get('8 clients')!;
      const big = table.added.get('75 KB agent request')!;
      const cpuOf = (name: string) => {
        const c = cpuPerRequest.get(`${name}|${mode} 1 client`);
        return c ? (c.ms / c.n).toFixed(3) : '—';
      };
      const at = (m: Map<string, { p50: number }>, name: string) => (m.get(name) ? ms(m.get(name)!.p50) : '—');
      const was = (m: Map<string, { p50: number }>) => (BASELINE ? `, before ${at(m, 'cortex before')}` : '');
      verdicts.push(
        `- **${mode} neuron**: cortex adds p50 **${at(c1, 'cortex')} ms** at 1 client (nginx ${at(c1, 'nginx')}, node floor ${at(c1, 'node floor')}${was(c1)}); ` +
          `at 8 clients **${at(c8, 'cortex')} ms** (nginx ${at(c8, 'nginx')}, node floor ${at(c8, 'node floor')}, Portkey ${at(c8, 'portkey')}${was(c8)}); ` +
          `the ${bodyKb.toFixed(0)} KB request **${at(big, 'cortex')} ms** (node floor ${at(big, 'node floor')}${was(big)}); ` +
          `CPU per request at 1 client **${cpuOf('cortex')} ms** (nginx ${cpuOf('nginx')}, node floor ${cpuOf('node floor')}, Portkey ${cpuOf('portkey')}${BASELINE ? `, before ${cpuOf('cortex before')}` : ''}).`,
      );
      sections.push(
        `### ${mode === 'fake' ? 'Fake neuron (answers at once)' : "Real neuron (`cortex up`'s demo model, CPU)"}`,
        '',
        'Each cell: p50 / p99 ms (added over direct in the same run).',
        '',
        ...table.markdown(),
        '',
        ...cpuTable(mode, targets, ['1 client', '8 clients', '75 KB']),
        '',
      );
      if (mode === 'fake') sections.push(...(await streamRows(targets, dir, stops)), '');
      while (stops.length) await stops.pop()!();
    }
    const md = [
      '## Added latency beside nginx and a peer gateway (`npm run bench:peers`)',
      '',
      `${machine()}, ${new Date().toISOString().slice(0, 10)}. Non-streaming chat, max_tokens 1, keep-alive, after ${WARMUP} warm-up requests per target (3,000 in front of the real neuron). ${ROUNDS} rounds, each target's block in rotating order (${BLOCK} requests at 1 client, ${BLOCK * 2} at 8, ${BLOCK / 4} of the agent request; open loops: 2 s per block at the fixed rate). nginx: Debian's, one worker, keep-alive pool of 64 to the upstream, no buffering. node floor: the least a Node proxy does (bench/floor-proxy.ts: node:http, one JSON parse and serialise each way, undici; no routing, auth, logs or metrics). Portkey: \`${PORTKEY}\`, \`--headless\` with \`x-portkey-provider: openai\` and \`x-portkey-custom-host\`. The agent request: the recorded Claude Code 2.1.197 request translated to OpenAI chat, its system prompt (cut in the recording) repeated out to 75 KB. CPU per request: user + system time of the proxy's processes from /proc (the kernel's loopback writes included).${BASELINE ? ` cortex before: ${BASELINE.replace(/^.*?\/([^/]+)\/dist\//, '$1/dist/')}.` : ''}`,
      '',
      ...verdicts,
      '',
      ...sections,
    ].join('\n');
    console.log(md);
    writeSection('peers', md);
  } finally {
    for (const stop of stops.reverse()) await stop();
    rmSync(dir, { recursive: true, force: true });
    await agent.close();
  }
}

void main();
