/**
 * Two gateway replicas share one usage ledger in a real Redis (Debian's redis-server, which
 * `npm test` installs when missing): requests sent to either are counted once, the ledger equals
 * the sum of the usage the clients received, it survives a replica's restart, and with Redis
 * killed requests are still served (the ledger fails open, counted) while /admin/usage is a 503.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeNeuron, startFakeNeuron } from './fakes/fake-neuron';
import { freePort } from './fakes/free-port';
import { type GatewayHandle, startGateway } from './helpers/gateway';
import { json, until } from './helpers/processes';

interface Totals {
  requests: number;
  prompt_tokens: number;
  completion_tokens: number;
  errors: number;
}

describe('gateway replicas share state in Redis', () => {
  let redis: ChildProcess;
  let url: string;
  let neuron: FakeNeuron;
  const gateways: GatewayHandle[] = [];
  const spec = () => ({
    neurons: [{ name: 'n', url: neuron.url }],
    models: '[[models]]\nid = "chat"\nsource = "chat.gguf"\n',
    extra: `[state]\nredis_url = "${url}"\ntimeout_ms = 300\n`,
  });

  beforeAll(async () => {
    execFileSync('redis-server', ['--version']); // installed by npm test; missing fails here, never skips
    const port = await freePort();
    url = `redis://127.0.0.1:${port}`;
    redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
      stdio: 'ignore',
    });
    neuron = await startFakeNeuron({ models: ['chat'] });
    gateways.push(await startGateway(spec()), await startGateway(spec()));
  }, 60_000);

  afterAll(async () => {
    await Promise.all(gateways.map((g) => g.close()));
    await neuron?.close();
    redis?.kill('SIGKILL');
  });

  const usage = async (g: GatewayHandle) => json<{ totals: Totals }>(`${g.url}/admin/usage`);

  it('counts each request once across replicas, exactly as the clients were told, and keeps it over a restart', async () => {
    const told: Totals = { requests: 0, prompt_tokens: 0, completion_tokens: 0, errors: 0 };
    for (let i = 0; i < 8; i++) {
      const g = gateways[i % 2]!;
      const r = await json<{ usage: { prompt_tokens: number; completion_tokens: number } }>(
        `${g.url}/v1/chat/completions`,
        { model: 'chat', max_tokens: i + 1, messages: [{ role: 'user', content: 'hi' }] },
      );
      expect(r.status).toBe(200);
      told.requests++;
      told.prompt_tokens += r.body.usage.prompt_tokens;
      told.completion_tokens += r.body.usage.completion_tokens;
    }
    // Writes are not awaited by requests: both replicas see all eight once they land.
    for (const g of gateways) {
      await until(async () => (await usage(g)).body.totals?.requests === 8, 5000, 50);
      expect((await usage(g)).body.totals).toMatchObject(told);
    }
    await gateways[0]!.close();
    gateways[0] = await startGateway(spec());
    expect((await usage(gateways[0])).body.totals).toMatchObject(told);
  }, 60_000);

  it('with Redis killed, requests are still served (the ledger fails open, counted) and /admin/usage is a 503', async () => {
    redis.kill('SIGKILL');
    const g = gateways[1]!;
    // No hang: every call to the store has its deadline (timeout_ms), so both answer at once.
    const r = await json(`${g.url}/v1/chat/completions`, {
      model: 'chat',
      max_tokens: 2,
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(r.status).toBe(200);
    const report = await usage(g);
    expect(report.status).toBe(503);
    expect(report.body).toMatchObject({ error: { code: 'service_unavailable' } });
    await until(async () => /cortex_state_errors_total\{concern="usage"\} [1-9]/.test(await g.metrics()), 5000, 100);
    expect(g.output()).toMatch(/redis|usage line was not recorded/i);
  }, 30_000);
});
