/**
 * `npm run bench:peers`: cortex's added latency beside a peer Node gateway (Portkey AI gateway,
 * installed from npm into a temporary folder at bench time, never a dependency), both in front of
 * the same fake neuron. Targets are interleaved block by block (direct, cortex, Portkey, rotating),
 * so machine noise lands on all three alike.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { startFleet, writeGatewayConfig } from './fleet';
import { cpuMs, machine, percentile, startCli, writeSection } from './lib';
import { freePort } from '../test/fakes/free-port';

const PORTKEY = process.env.CORTEX_BENCH_PORTKEY ?? '@portkey-ai/gateway@1.15.2';
const ROUNDS = Number(process.env.CORTEX_BENCH_ROUNDS ?? 6);
const BLOCK = Number(process.env.CORTEX_BENCH_BLOCK ?? 200);
const WARMUP = Number(process.env.CORTEX_BENCH_WARMUP ?? 5000);

interface Target {
  name: string;
  url: string;
  headers: Record<string, string>;
  /** The proxy's process, whose CPU time per request is read from /proc. */
  pid?: number;
}

const cpuPerRequest = new Map<string, { ms: number; n: number }>();

const agent = new Agent({ keepAliveTimeout: 60_000, connections: 64 });
const chatBody = (extra: object = {}) =>
  JSON.stringify({ model: 'chat', max_tokens: 1, messages: [{ role: 'user', content: 'Hi' }], ...extra });

async function once(t: Target, body: string): Promise<number> {
  const t0 = performance.now();
  const res = await request(`${t.url}/v1/chat/completions`, {
    method: 'POST',
    body,
    headers: { 'content-type': 'application/json', ...t.headers },
    dispatcher: agent,
  });
  await res.body.text();
  if (res.statusCode !== 200) throw new Error(`${t.name}: HTTP ${res.statusCode}`);
  return performance.now() - t0;
}

/** `clients` concurrent loops, `n` requests in all (and the proxy's CPU for them). */
async function closedLoop(t: Target, clients: number, n: number): Promise<number[]> {
  const out: number[] = [];
  const cpu0 = t.pid ? cpuMs(t.pid) : 0;
  const body = chatBody();
  let left = n;
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (left-- > 0) out.push(await once(t, body));
    }),
  );
  if (t.pid) {
    const key = `${t.name} at ${clients} client${clients > 1 ? 's' : ''}`;
    const c = cpuPerRequest.get(key) ?? { ms: 0, n: 0 };
    cpuPerRequest.set(key, { ms: c.ms + cpuMs(t.pid) - cpu0, n: c.n + n });
  }
  return out;
}

/** Requests sent at a fixed rate whatever the answers do (open loop), `n` in all. */
async function openLoop(t: Target, rps: number, n: number): Promise<number[]> {
  const body = chatBody();
  const start = performance.now();
  const jobs: Array<Promise<number>> = [];
  for (let i = 0; i < n; i++) {
    const due = start + (i * 1000) / rps;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    jobs.push(once(t, body));
  }
  return Promise.all(jobs);
}

/** One paced stream; its client-side decode rate (tokens after the first over their time) or an error. */
async function streamRate(t: Target, tokens: number): Promise<number | string> {
  try {
    const res = await request(`${t.url}/v1/chat/completions`, {
      method: 'POST',
      body: chatBody({ max_tokens: tokens, stream: true }),
      headers: { 'content-type': 'application/json', ...t.headers },
      dispatcher: agent,
    });
    if (res.statusCode !== 200) return `HTTP ${res.statusCode}: ${(await res.body.text()).slice(0, 120)}`;
    let first = 0;
    let last = 0;
    let seen = 0;
    for await (const chunk of res.body) {
      const n = (String(chunk).match(/"content":"t*\d+ "/g) ?? []).length;
      if (!n) continue;
      last = performance.now();
      if (!first) first = last;
      seen += n;
    }
    if (seen < tokens) return `stream ended after ${seen} of ${tokens} tokens`;
    return (seen - 1) / ((last - first) / 1000);
  } catch (err) {
    return (err as Error).message;
  }
}

/** Runs `measure` for every target in rotating order, ROUNDS times, pooling each target's samples. */
async function interleaved(targets: Target[], measure: (t: Target) => Promise<number[]>) {
  const samples = new Map<string, number[]>(targets.map((t) => [t.name, []]));
  for (let r = 0; r < ROUNDS; r++) {
    for (let k = 0; k < targets.length; k++) {
      const t = targets[(r + k) % targets.length]!;
      samples.get(t.name)!.push(...(await measure(t)));
    }
  }
  return samples;
}

/** The tail of Portkey's own output (its errors explain its failures). */
let portkeyLog = '';

function startPortkey(dir: string, port: number): Promise<ChildProcess> {
  execFileSync('npm', ['install', '--no-audit', '--no-fund', '--silent', '--prefix', dir, PORTKEY], {
    stdio: 'inherit',
  });
  const script = join(dir, 'node_modules', '@portkey-ai', 'gateway', 'build', 'start-server.js');
  if (!existsSync(script)) throw new Error(`${PORTKEY} has no build/start-server.js`);
  const child = spawn(process.execPath, [script, `--port=${port}`, '--headless'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const keep = (d: Buffer) => (portkeyLog = (portkeyLog + d.toString()).slice(-20_000));
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  return new Promise((resolve, reject) => {
    const deadline = Date.now() + 20_000;
    const poll = () =>
      fetch(`http://127.0.0.1:${port}/`)
        .then(() => resolve(child))
        .catch(() => (Date.now() > deadline ? reject(new Error('Portkey did not start')) : setTimeout(poll, 200)));
    poll();
  });
}

const ms = (x: number) => x.toFixed(2);

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'cortex-bench-peers-'));
  const stops: Array<() => Promise<void> | void> = [];
  try {
    const fleet = await startFleet({
      neurons: 1,
      catalogue: ['chat'],
      options: { tokensPerSecond: 0, pingMs: 60_000 },
    });
    stops.push(fleet.stop);
    const neuron = fleet.urls[0]!;
    const gateway = await startCli([
      'serve',
      '--config',
      writeGatewayConfig(dir, [neuron], ['chat'], '[poller]\ninterval_ms = 1000\n'),
    ]);
    stops.push(gateway.stop);
    const targets: Target[] = [
      { name: 'direct', url: neuron, headers: {} },
      { name: 'cortex', url: gateway.url, headers: {}, pid: gateway.child.pid },
    ];
    let portkeyNote = '';
    if (process.env.CORTEX_BENCH_NO_PEER !== '1') {
      mkdirSync(join(dir, 'portkey'));
      const port = await freePort();
      const pk = await startPortkey(join(dir, 'portkey'), port);
      stops.push(() => void pk.kill('SIGTERM'));
      targets.push({
        name: 'portkey',
        url: `http://127.0.0.1:${port}`,
        pid: pk.pid,
        headers: {
          'x-portkey-provider': 'openai',
          'x-portkey-custom-host': `${neuron}/v1`,
          authorization: 'Bearer unused',
        },
      });
    } else portkeyNote = ' Portkey left out (CORTEX_BENCH_NO_PEER=1).';
    // Warm-up: V8 needs a few thousand requests to finish optimising a proxy's request path (cortex
    // used 1.1 ms of CPU per request after 1,000 and 0.4 ms after 5,000); steady state is what a
    // gateway serves in.
    for (const t of targets) await closedLoop(t, 4, WARMUP);
    cpuPerRequest.clear();

    const rows: string[] = [];
    const added = new Map<string, Map<string, { p50: number; p99: number }>>();
    const report = (label: string, samples: Map<string, number[]>) => {
      const d = samples.get('direct')!;
      const cols = targets.map((t) => {
        const xs = samples.get(t.name)!;
        const p50 = percentile(xs, 50);
        const p99 = percentile(xs, 99);
        if (t.name !== 'direct') {
          const a = { p50: p50 - percentile(d, 50), p99: p99 - percentile(d, 99) };
          added.set(label, (added.get(label) ?? new Map()).set(t.name, a));
          return `${ms(p50)} / ${ms(p99)} (**+${ms(a.p50)}** / +${ms(a.p99)})`;
        }
        return `${ms(p50)} / ${ms(p99)}`;
      });
      rows.push(`| ${label} | ${cols.join(' | ')} |`);
      console.log(rows.at(-1));
    };
    report('1 client', await interleaved(targets, (t) => closedLoop(t, 1, BLOCK)));
    report('8 clients', await interleaved(targets, (t) => closedLoop(t, 8, BLOCK * 2)));
    report('50 rps', await interleaved(targets, (t) => openLoop(t, 50, 100)));
    report('200 rps', await interleaved(targets, (t) => openLoop(t, 200, 400)));

    // Streaming: 8 concurrent paced streams per target, client-side decode tok/s.
    const paced = await startFleet({ neurons: 1, catalogue: ['chat'], options: { tokensPerSecond: 200 } });
    stops.push(paced.stop);
    const pacedGw = await startCli(['serve', '--config', writeGatewayConfig(dir, [paced.urls[0]!], ['chat'])]);
    stops.push(pacedGw.stop);
    const streamTargets = targets.map((t) =>
      t.name === 'direct'
        ? { ...t, url: paced.urls[0]! }
        : t.name === 'cortex'
          ? { ...t, url: pacedGw.url }
          : { ...t, headers: { ...t.headers, 'x-portkey-custom-host': `${paced.urls[0]}/v1` } },
    );
    const streamRows: string[] = [];
    let directRate = 0;
    for (const t of streamTargets) {
      const results = await Promise.all(Array.from({ length: 8 }, () => streamRate(t, 200)));
      const rates = results.filter((r): r is number => typeof r === 'number');
      const errors = results.filter((r): r is string => typeof r === 'string');
      const rate = rates.length ? rates.reduce((a, b) => a + b, 0) / rates.length : 0;
      if (t.name === 'direct') directRate = rate;
      const why = t.name === 'portkey' && errors.length ? /^.*(TypeError|Error):.*$/m.exec(portkeyLog)?.[0] : undefined;
      const error = [errors[0], why && `its log: \`${why.trim().slice(0, 120)}\``].filter(Boolean).join('; ');
      streamRows.push(
        `| ${t.name} | ${rates.length}/8 | ${rate ? rate.toFixed(1) : '—'} | ${rate && directRate ? `${(rate / directRate).toFixed(3)}×` : '—'} | ${error.replace(/\|/g, '/')} |`,
      );
      console.log(streamRows.at(-1));
    }

    const c1 = added.get('1 client')!;
    const c8 = added.get('8 clients')!;
    const pk8 = c8.get('portkey');
    const md = [
      '## Added latency beside a peer gateway (`npm run bench:peers`)',
      '',
      `${machine()}, ${new Date().toISOString().slice(0, 10)}. One fake neuron (test/fakes, answers at once) behind both gateways; non-streaming chat, max_tokens 1, keep-alive, after ${WARMUP} warm-up requests per target. ${ROUNDS} rounds, each target's block in rotating order (closed loop: ${BLOCK} requests at 1 client, ${BLOCK * 2} at 8; open loop: 2 s per block at the fixed rate). Portkey: \`${PORTKEY}\`, started \`--headless\` with \`x-portkey-provider: openai\` and \`x-portkey-custom-host\`.${portkeyNote}`,
      '',
      `Each cell: p50 / p99 ms (added over direct in the same run).`,
      '',
      `| load | ${targets.map((t) => t.name).join(' | ')} |`,
      `| --- | ${targets.map(() => '---').join(' | ')} |`,
      ...rows,
      '',
      `Targets: cortex p50 added at 1 client ≤ 0.5 ms: **${ms(c1.get('cortex')!.p50)} ms**${pk8 ? `; at 8 clients ≤ ⅓ of Portkey's: **${ms(c8.get('cortex')!.p50)} vs ${ms(pk8.p50)} ms (${(c8.get('cortex')!.p50 / pk8.p50).toFixed(2)}×)**` : ''}.`,
      '',
      `Proxy CPU per request (user + system from /proc over every closed-loop block, the kernel's loopback writes included): ${[
        ...cpuPerRequest,
      ]
        .map(([name, c]) => `${name} **${(c.ms / c.n).toFixed(3)} ms**`)
        .join(', ')}.`,
      '',
      'Streaming: 8 concurrent streams of 200 tokens from a neuron pacing 200 tok/s; client-side decode rate (mean of streams).',
      '',
      '| path | streams complete | tok/s per stream | vs direct | error |',
      '| --- | --- | --- | --- | --- |',
      ...streamRows,
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
