/**
 * `npm run bench:gateway`: the gateway's added latency in front of a real neuron. 500 sequential
 * non-streaming chat requests (tiny model, max_tokens 1) straight to the neuron and through the
 * gateway, in 10 interleaved blocks after a warm-up, in one run on one machine; p50/p90/p99 of each
 * and of the difference.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { makeModel } from '@app/core';
import { cpuMs, machine, percentile, startCli, startNeuron, writeSection } from './lib';

const N = Number(process.env.CORTEX_BENCH_REQUESTS ?? 500);
const WARMUP = Number(process.env.CORTEX_BENCH_WARMUP ?? 3000);
const agent = new Agent({ keepAliveTimeout: 60_000 });
const body = JSON.stringify({
  model: 'tiny',
  max_tokens: 1,
  temperature: 0,
  messages: [{ role: 'user', content: 'Hi' }],
});

async function timeRequests(url: string, n: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    const res = await request(`${url}/v1/chat/completions`, {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json' },
      dispatcher: agent,
    });
    await res.body.text();
    if (res.statusCode !== 200) throw new Error(`HTTP ${res.statusCode}`);
    out.push(performance.now() - t0);
  }
  return out;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'cortex-bench-gw-'));
  const stops: Array<() => Promise<void>> = [];
  try {
    mkdirSync(join(dir, 'models'));
    makeModel({ preset: 'tiny', out: join(dir, 'models', 'tiny.gguf') });
    const neuron = await startNeuron(
      dir,
      'threads = 1\n[[preload]]\nid = "tiny"\nsource = "tiny.gguf"\ncontext_size = 1024\n',
    );
    stops.push(neuron.stop);
    writeFileSync(join(dir, 'models.toml'), '[[models]]\nid = "tiny"\nsource = "tiny.gguf"\n');
    writeFileSync(
      join(dir, 'cortex.toml'),
      `models_config = "models.toml"\n[gateway]\nlisten = "127.0.0.1:0"\nmetrics_listen = "127.0.0.1:0"\n[[neurons]]\nname = "n"\nendpoint = "${neuron.url}"\n`,
    );
    const gateway = await startCli(['serve', '--config', join(dir, 'cortex.toml')]);
    stops.push(gateway.stop);
    // Warm-up: V8 takes a few thousand requests to optimise the gateway's path (bench:peers).
    await timeRequests(gateway.url, WARMUP);
    await timeRequests(neuron.url, 50);
    // Interleaved blocks, so machine noise lands on both paths alike.
    const direct: number[] = [];
    const via: number[] = [];
    let gatewayCpu = 0;
    for (let round = 0; round < 10; round++) {
      direct.push(...(await timeRequests(neuron.url, N / 10)));
      const cpu0 = cpuMs(gateway.child.pid!);
      via.push(...(await timeRequests(gateway.url, N / 10)));
      gatewayCpu += cpuMs(gateway.child.pid!) - cpu0;
    }
    const row = (name: string, xs: number[]) =>
      `| ${name} | ${percentile(xs, 50).toFixed(2)} | ${percentile(xs, 90).toFixed(2)} | ${percentile(xs, 99).toFixed(2)} |`;
    const md = [
      '## Gateway added latency (`npm run bench:gateway`)',
      '',
      `${machine()}; ${N} sequential non-streaming chat requests per path in 10 interleaved blocks, tiny model, max_tokens 1, keep-alive, after ${WARMUP} warm-up requests through the gateway, ${new Date().toISOString().slice(0, 10)}.`,
      '',
      '| path | p50 ms | p90 ms | p99 ms |',
      '| --- | --- | --- | --- |',
      row('client → neuron', direct),
      row('client → gateway → neuron', via),
      `| **added by the gateway** | **${(percentile(via, 50) - percentile(direct, 50)).toFixed(2)}** | **${(percentile(via, 90) - percentile(direct, 90)).toFixed(2)}** | **${(percentile(via, 99) - percentile(direct, 99)).toFixed(2)}** |`,
      '',
      `Gateway CPU per request (user + system from /proc): ${(gatewayCpu / N).toFixed(3)} ms.`,
    ].join('\n');
    console.log(md);
    writeSection('gateway', md);
  } finally {
    for (const stop of stops.reverse()) await stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

void main();
