/**
 * `npm run bench:fair-share`: what one tenant's flood does to another's waiting, on a real neuron
 * (tiny model, 2 seats). Tenant B sends one request at a time, alone and then while tenant A keeps
 * 8 requests in flight; B's latency p50 is compared, on a neuron with a token (fair share: the
 * gateway's account headers are believed), with and without the share hold, and on one without a
 * token (first come, first served).
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { makeModel } from '@app/core';
import { machine, percentile, startNeuron, writeSection } from './lib';

const N = Number(process.env.CORTEX_BENCH_REQUESTS ?? 40);
const FLOOD = 8;
const agent = new Agent({ keepAliveTimeout: 60_000, connections: 32 });

async function ask(url: string, auth: Record<string, string>, account: string, maxTokens: number): Promise<number> {
  const t0 = performance.now();
  const res = await request(`${url}/v1/chat/completions`, {
    method: 'POST',
    dispatcher: agent,
    headers: { 'content-type': 'application/json', 'x-cortex-account-id': account, ...auth },
    body: JSON.stringify({ model: 'tiny', max_tokens: maxTokens, messages: [{ role: 'user', content: account }] }),
  });
  await res.body.text();
  if (res.statusCode !== 200) throw new Error(`HTTP ${res.statusCode}`);
  return performance.now() - t0;
}

/** A neuron with 2 seats, its token when given, its share hold, and the headers that reach it. */
async function neuron(dir: string, token: string | undefined, holdMs: number) {
  mkdirSync(dir, { recursive: true });
  const n = await startNeuron(
    dir,
    `threads = 1\nmodels_dir = "${join(dir, '..', 'models')}"\n` +
      `[admission]\nmax_in_flight = 2\nmax_queue_depth = 32\nmax_wait_s = 120\nshare_hold_ms = ${holdMs}\n` +
      '[[preload]]\nid = "tiny"\nsource = "tiny.gguf"\ncontext_size = 2048\n',
    token,
  );
  const auth: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
  return { ...n, auth };
}

/** B's latencies, alone or while A keeps FLOOD long requests in flight, and A's answers a second meanwhile. */
async function tenantB(url: string, auth: Record<string, string>, flood: boolean) {
  let stop = false;
  let aDone = 0;
  const floods = flood
    ? Array.from({ length: FLOOD }, async () => {
        while (!stop) {
          await ask(url, auth, 'a', 120);
          aDone++;
        }
      })
    : [];
  if (flood) await new Promise((r) => setTimeout(r, 500));
  const xs: number[] = [];
  const t0 = performance.now();
  const a0 = aDone;
  for (let i = 0; i < N; i++) xs.push(await ask(url, auth, 'b', 20));
  const aPerS = ((aDone - a0) * 1000) / (performance.now() - t0);
  stop = true;
  await Promise.all(floods);
  return { xs, aPerS };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'cortex-bench-fair-'));
  mkdirSync(join(dir, 'models'));
  makeModel({ preset: 'tiny', out: join(dir, 'models', 'tiny.gguf') });
  const rows: string[] = [];
  try {
    for (const [name, token, hold] of [
      ['fair share, share_hold_ms = 1000 (the default)', 'bench-token', 1000],
      ['fair share, share_hold_ms = 0', 'bench-token', 0],
      ['first come, first served (no token)', undefined, 1000],
    ] as const) {
      const n = await neuron(join(dir, `n${rows.length}`), token, hold);
      try {
        await tenantB(n.url, n.auth, false); // warm-up
        const alone = percentile((await tenantB(n.url, n.auth, false)).xs, 50);
        const flood = await tenantB(n.url, n.auth, true);
        const flooded = percentile(flood.xs, 50);
        rows.push(
          `| ${name} | ${alone.toFixed(1)} | ${flooded.toFixed(1)} | **${(flooded / alone).toFixed(2)}×** | ${flood.aPerS.toFixed(1)} |`,
        );
        console.log(rows.at(-1));
      } finally {
        await n.stop();
      }
    }
    const md = [
      '## Fair share: one tenant flooding, another waiting (`npm run bench:fair-share`)',
      '',
      `${machine()}, ${new Date().toISOString().slice(0, 10)}. A real neuron, tiny model, 2 seats (max_in_flight 2), 1 thread. Tenant B sends ${N} requests one at a time (max_tokens 20), alone and while tenant A keeps ${FLOOD} requests of max_tokens 120 in flight; B's latency p50 in ms (its queue wait plus its own generation), and A's answers a second while B works. Target: flooded ≤ 2× alone under fair share. Generations are not preempted: with the hold, B's share of the seats (1 of 2) stays free between its requests, so only its first request waits for one of A's.`,
      '',
      '| neuron | B alone p50 | B while A floods p50 | ratio | A answers/s meanwhile |',
      '| --- | --- | --- | --- | --- |',
      ...rows,
    ].join('\n');
    console.log(md);
    writeSection('fair-share', md);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await agent.close();
  }
}

void main();
