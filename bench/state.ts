/**
 * `npm run bench:state`: what per-key limits, budgets and the usage ledger cost a request, kept in
 * this replica's memory or in Redis ([state] redis_url, a local redis-server). One gateway per
 * setup in front of one fake neuron that answers at once; 2 clients send OpenAI JSON requests,
 * blocks in rotating order; the client's latency and the gateway's CPU per request.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { freePort } from '../test/fakes/free-port';
import { startFleet, writeGatewayConfig } from './fleet';
import { cpuMs, machine, percentile, startCli, writeSection } from './lib';

const ROUNDS = Number(process.env.CORTEX_BENCH_ROUNDS ?? 5);
const BLOCK = Number(process.env.CORTEX_BENCH_BLOCK ?? 300);
const agent = new Agent({ keepAliveTimeout: 60_000, connections: 16 });
const body = JSON.stringify({ model: 'chat', max_tokens: 1, messages: [{ role: 'user', content: 'Hi' }] });

/** A key with every limit and a budget, none of them ever reached. */
const KEYED =
  '[[auth.keys]]\nkey = "sk-bench"\naccount_id = "team"\nrequests_per_minute = 100000000\n' +
  'tokens_per_minute = 100000000\ntokens_per_day = 1000000000\nhard_cap = 1000000000000\n' +
  '[[auth.accounts]]\naccount_id = "team"\nhard_cap = 1000000000000\nwindow = { kind = "rolling", seconds = 86400 }\n';

interface Setup {
  name: string;
  extra: (redis: string) => string;
  key: boolean;
  url?: string;
  pid?: number;
  lat: number[];
  cpu: number;
  n: number;
}

async function block(s: Setup): Promise<void> {
  const cpu0 = cpuMs(s.pid!);
  let left = BLOCK;
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (s.key) headers.authorization = 'Bearer sk-bench';
  await Promise.all(
    [0, 1].map(async () => {
      while (left-- > 0) {
        const t0 = performance.now();
        const res = await request(`${s.url}/v1/chat/completions`, { method: 'POST', body, headers, dispatcher: agent });
        const text = await res.body.text();
        if (res.statusCode !== 200) throw new Error(`${s.name}: HTTP ${res.statusCode}: ${text.slice(0, 200)}`);
        s.lat.push(performance.now() - t0);
      }
    }),
  );
  s.cpu += cpuMs(s.pid!) - cpu0;
  s.n += BLOCK;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'cortex-bench-state-'));
  const stops: Array<() => Promise<void> | void> = [];
  let redis: ChildProcess | undefined;
  try {
    const port = await freePort();
    redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
      stdio: 'ignore',
    });
    const url = `redis://127.0.0.1:${port}`;
    const fleet = await startFleet({
      neurons: 1,
      catalogue: ['chat'],
      options: { tokensPerSecond: 0, pingMs: 60_000 },
    });
    stops.push(fleet.stop);
    const setups: Setup[] = [
      { name: 'memory, anonymous (no limits)', extra: () => '', key: false, lat: [], cpu: 0, n: 0 },
      { name: 'memory, limited + budgeted key', extra: () => KEYED, key: true, lat: [], cpu: 0, n: 0 },
      {
        name: 'Redis, limited + budgeted key',
        extra: (r) => `${KEYED}[state]\nredis_url = "${r}"\n`,
        key: true,
        lat: [],
        cpu: 0,
        n: 0,
      },
    ];
    for (const [i, s] of setups.entries()) {
      const d = join(dir, String(i));
      mkdirSync(d);
      const cfg = writeGatewayConfig(d, [fleet.urls[0]!], ['chat'], `[poller]\ninterval_ms = 1000\n${s.extra(url)}`);
      const g = await startCli(['serve', '--config', cfg]);
      stops.push(g.stop);
      s.url = g.url;
      s.pid = g.child.pid!;
      await block(s); // warm-up
      Object.assign(s, { lat: [], cpu: 0, n: 0 });
    }
    for (let r = 0; r < ROUNDS; r++)
      for (let k = 0; k < setups.length; k++) await block(setups[(r + k) % setups.length]!);
    const base = setups[0]!;
    const rows = setups.map((s) => {
      const p50 = percentile(s.lat, 50);
      return `| ${s.name} | ${p50.toFixed(2)} | ${percentile(s.lat, 99).toFixed(2)} | ${(s.cpu / s.n).toFixed(3)} | ${(p50 / percentile(base.lat, 50)).toFixed(2)}× |`;
    });
    const md = [
      '## Limits, budgets and the ledger in memory or Redis (`npm run bench:state`)',
      '',
      `${machine()}, ${new Date().toISOString().slice(0, 10)}. One gateway per setup in front of one fake neuron answering at once; a local redis-server; 2 clients, keep-alive, OpenAI JSON requests (max_tokens 1); ${ROUNDS} rounds of ${BLOCK} requests per setup, in rotating order. The keyed setups check four per-key limits, reserve and settle two budgets (the key's and its account's) and add a ledger line on every request. Latency at the client (ms) and the gateway's user + system CPU per request (ms).`,
      '',
      '| setup | p50 | p99 | gateway CPU / request | p50 vs anonymous |',
      '| --- | --- | --- | --- | --- |',
      ...rows,
    ].join('\n');
    console.log(md);
    writeSection('state', md);
  } finally {
    for (const stop of stops.reverse()) await stop();
    redis?.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    await agent.close();
  }
}

void main();
