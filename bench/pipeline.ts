/**
 * `npm run bench:pipeline`: the gateway's CPU per request on each dialect's path — OpenAI passed
 * through (JSON and a stream), Anthropic and Responses translated (streams) — in front of one fake
 * neuron that answers at once. With CORTEX_BENCH_BASELINE=<another checkout's
 * dist/apps/cli/src/main.js> a second gateway joins, block by block in rotating order, so a change
 * to the request path is compared in one run on one machine.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { startFleet, writeGatewayConfig } from './fleet';
import { cpuMs, machine, startCli, writeSection } from './lib';

const ROUNDS = Number(process.env.CORTEX_BENCH_ROUNDS ?? 5);
const BLOCK = Number(process.env.CORTEX_BENCH_BLOCK ?? 200);
const WARMUP = Number(process.env.CORTEX_BENCH_WARMUP ?? 3000);
const TOKENS = Number(process.env.CORTEX_BENCH_TOKENS ?? 32);
const BASELINE = process.env.CORTEX_BENCH_BASELINE;

const agent = new Agent({ keepAliveTimeout: 60_000, connections: 16 });
const messages = [{ role: 'user', content: 'Hi' }];

const PATHS = {
  'openai json': { path: '/v1/chat/completions', body: { model: 'chat', max_tokens: 1, messages } },
  'openai stream': {
    path: '/v1/chat/completions',
    body: { model: 'chat', max_tokens: TOKENS, stream: true, messages },
  },
  'anthropic stream': { path: '/v1/messages', body: { model: 'chat', max_tokens: TOKENS, stream: true, messages } },
  'responses stream': {
    path: '/v1/responses',
    body: { model: 'chat', max_output_tokens: TOKENS, stream: true, store: false, input: 'Hi' },
  },
} as const;
type PathName = keyof typeof PATHS;

interface Gateway {
  name: string;
  url: string;
  pid: number;
}

async function once(g: Gateway, p: PathName): Promise<void> {
  const { path, body } = PATHS[p];
  const res = await request(`${g.url}${path}`, {
    method: 'POST',
    body: JSON.stringify(body),
    headers: { 'content-type': 'application/json' },
    dispatcher: agent,
  });
  const text = await res.body.text();
  if (res.statusCode !== 200) throw new Error(`${g.name} ${p}: HTTP ${res.statusCode}: ${text.slice(0, 200)}`);
}

/** `n` requests from 2 clients; the gateway's CPU ms for them. */
async function block(g: Gateway, p: PathName, n: number): Promise<number> {
  const cpu0 = cpuMs(g.pid);
  let left = n;
  await Promise.all(
    [0, 1].map(async () => {
      while (left-- > 0) await once(g, p);
    }),
  );
  return cpuMs(g.pid) - cpu0;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'cortex-bench-pipeline-'));
  const stops: Array<() => Promise<void> | void> = [];
  try {
    const fleet = await startFleet({
      neurons: 1,
      catalogue: ['chat'],
      options: { tokensPerSecond: 0, pingMs: 60_000 },
    });
    stops.push(fleet.stop);
    const cfg = writeGatewayConfig(dir, [fleet.urls[0]!], ['chat'], '[poller]\ninterval_ms = 1000\n');
    const gateways: Gateway[] = [];
    const start = async (name: string, cli?: string) => {
      const g = await startCli(['serve', '--config', cfg], cli);
      stops.push(g.stop);
      gateways.push({ name, url: g.url, pid: g.child.pid! });
    };
    await start('cortex');
    if (BASELINE) await start('baseline', BASELINE);
    for (const g of gateways) for (const p of Object.keys(PATHS) as PathName[]) await block(g, p, WARMUP / 4);

    const cpu = new Map<string, { ms: number; n: number }>();
    for (let r = 0; r < ROUNDS; r++) {
      for (const p of Object.keys(PATHS) as PathName[]) {
        for (let k = 0; k < gateways.length; k++) {
          const g = gateways[(r + k) % gateways.length]!;
          const key = `${g.name}\u0000${p}`;
          const c = cpu.get(key) ?? { ms: 0, n: 0 };
          cpu.set(key, { ms: c.ms + (await block(g, p, BLOCK)), n: c.n + BLOCK });
        }
      }
    }
    const per = (g: string, p: string) => {
      const c = cpu.get(`${g}\u0000${p}`)!;
      return c.ms / c.n;
    };
    const head = gateways.map((g) => g.name);
    const rows = (Object.keys(PATHS) as PathName[]).map((p) => {
      const cells = head.map((g) => per(g, p).toFixed(3));
      const ratio = BASELINE ? ` | ${(per('cortex', p) / per('baseline', p)).toFixed(2)}×` : '';
      return `| ${p} | ${cells.join(' | ')}${ratio} |`;
    });
    const md = [
      '## CPU per request on each dialect’s path (`npm run bench:pipeline`)',
      '',
      `${machine()}, ${new Date().toISOString().slice(0, 10)}. One fake neuron (test/fakes) answering at once; streams of ${TOKENS} tokens; 2 clients, keep-alive; ${WARMUP} warm-up requests per gateway, then ${ROUNDS} rounds of ${BLOCK} requests per path and gateway${BASELINE ? ', gateways in rotating order' : ''}. The gateway's user + system CPU from /proc, per request (ms).${BASELINE ? ` Baseline: ${BASELINE.replace(/^.*?\/([^/]+)\/dist\//, '$1/dist/')}.` : ''}`,
      '',
      `| path | ${head.join(' | ')}${BASELINE ? ' | cortex / baseline' : ''} |`,
      `| --- | ${head.map(() => '---').join(' | ')}${BASELINE ? ' | ---' : ''} |`,
      ...rows,
    ].join('\n');
    console.log(md);
    writeSection('pipeline', md);
  } finally {
    for (const stop of stops.reverse()) await stop();
    rmSync(dir, { recursive: true, force: true });
    await agent.close();
  }
}

void main();
