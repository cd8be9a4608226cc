import { request } from 'node:http';
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { type FakeNeuron, startFakeNeuron } from './fakes/fake-neuron';
import { type GatewayHandle, startGateway } from './helpers/gateway';
import { type NeuronHandle, startNeuron } from './helpers/neuron';
import { json, readSse, until } from './helpers/processes';

// Every deadline of the gateway, proven against neurons that misbehave: one that accepts and never
// answers (a fake), one frozen with SIGSTOP (a real neuron), a client that stops reading, and a
// SIGTERM while streams run. Nothing hangs, nothing is cut silently, the fleet stays usable.

const cleanup: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c().catch(() => undefined);
});

const TIGHT = '[upstream]\ncall_timeout_s = 1\nheaders_timeout_s = 1\nrequest_timeout_s = 2\nload_timeout_s = 2\n';
const CATALOGUE = '[[models]]\nid = "chat"\nsource = "chat.gguf"\n[[models]]\nid = "cold"\nsource = "cold.gguf"\n';

async function fake(opts: Parameters<typeof startFakeNeuron>[0] = {}): Promise<FakeNeuron> {
  const n = await startFakeNeuron(opts);
  cleanup.push(() => n.close());
  return n;
}

async function gateway(
  neurons: Array<{ name: string; url: string }>,
  extra = TIGHT,
  env: Record<string, string> = {},
): Promise<GatewayHandle> {
  const gw = await startGateway({
    neurons,
    models: CATALOGUE,
    extra: `[eviction]\nmin_residency_s = 0\n${extra}`,
    env,
  });
  cleanup.push(() => gw.close());
  return gw;
}

const chat = (model = 'chat', extra: Record<string, unknown> = {}) => ({
  model,
  max_tokens: 4,
  messages: [{ role: 'user', content: 'hi' }],
  ...extra,
});

describe('gateway deadlines and drains', () => {
  it('a neuron that accepts and never answers: every call times out with 504, and nothing is wedged', async () => {
    const n = await fake({
      hang: ['POST /models/unload', 'POST /models/pin', 'POST /v1/tokenize', 'POST /models/load'],
    });
    const gw = await gateway([{ name: 'n', url: n.url }]);
    const timed = async (p: Promise<{ status: number; body: unknown }>) => {
      const t0 = Date.now();
      const r = await p;
      return { ...r, ms: Date.now() - t0 };
    };
    const unload = await timed(json(`${gw.url}/admin/models/unload`, { model: 'chat' }));
    expect(unload).toMatchObject({ status: 504, body: { error: { code: 'upstream_timeout' } } });
    expect(unload.ms).toBeLessThan(5000);
    const pin = await timed(json(`${gw.url}/admin/models/pin`, { model: 'chat' }));
    expect(pin).toMatchObject({ status: 504, body: { error: { code: 'upstream_timeout' } } });
    const count = await timed(
      json(`${gw.url}/v1/messages/count_tokens`, { model: 'chat', messages: [{ role: 'user', content: 'x' }] }),
    );
    expect(count).toMatchObject({ status: 504, body: { type: 'error', error: { type: 'api_error' } } });
    // A cold load whose neuron never answers fails at load_timeout_s, for every request waiting on it…
    const cold = await Promise.all([1, 2, 3].map(() => timed(json(`${gw.url}/v1/chat/completions`, chat('cold')))));
    for (const c of cold) {
      expect(c).toMatchObject({ status: 504, body: { error: { code: 'upstream_timeout' } } });
      expect(c.ms).toBeLessThan(6000);
    }
    // …and the next request starts a fresh load rather than joining a wedged one.
    const before = n.requests.filter((r) => r.route === 'POST /models/load').length;
    expect((await json(`${gw.url}/v1/chat/completions`, chat('cold'))).status).toBe(504);
    expect(n.requests.filter((r) => r.route === 'POST /models/load').length).toBe(before + 1);
    // Timeouts are not connect failures: the neuron stays healthy and keeps serving what it can.
    expect((await json(`${gw.url}/v1/chat/completions`, chat())).status).toBe(200);
    const health = await json<{ neurons: Array<{ healthy: boolean }> }>(`${gw.url}/health`);
    expect(health.body.neurons[0]!.healthy).toBe(true);
  });

  it('count_tokens stops the neuron call when its client leaves', async () => {
    const n = await fake({ hang: ['POST /v1/tokenize'] });
    const gw = await gateway([{ name: 'n', url: n.url }], '[upstream]\ncall_timeout_s = 60\n');
    const ac = new AbortController();
    const pending = fetch(`${gw.url}/v1/messages/count_tokens`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'chat', messages: [{ role: 'user', content: 'x' }] }),
      signal: ac.signal,
    }).catch(() => null);
    await until(async () => n.requests.some((r) => r.route === 'POST /v1/tokenize'), 5000, 20);
    ac.abort();
    await pending;
    await until(async () => n.abandoned() === 1, 5000, 20);
  });

  it('a stream whose neuron never answers its headers is a 504 after headers_timeout_s', async () => {
    const n = await fake({ hang: ['POST /v1/chat/completions'] });
    const gw = await gateway([{ name: 'n', url: n.url }]);
    const r = await json(`${gw.url}/v1/chat/completions`, chat('chat', { stream: true }));
    expect(r).toMatchObject({ status: 504, body: { error: { code: 'upstream_timeout' } } });
    await until(async () => n.abandoned() === 1, 5000, 20);
  });

  it('a SIGSTOPped neuron: admin calls and count_tokens time out, it turns unhealthy, and serves again after SIGCONT', async () => {
    const real: NeuronHandle = await startNeuron('devices = ["cpu"]\n', { models: ['chat.gguf'] });
    cleanup.push(async () => {
      real.child.kill('SIGCONT');
      await real.close();
    });
    const gw = await gateway([{ name: 'r', url: real.url }]);
    expect((await json(`${gw.url}/v1/chat/completions`, chat())).status).toBe(200);
    real.child.kill('SIGSTOP');
    const unload = await json(`${gw.url}/admin/models/unload`, { model: 'chat' });
    expect(unload).toMatchObject({ status: 504, body: { error: { code: 'upstream_timeout' } } });
    const count = await json(`${gw.url}/v1/messages/count_tokens`, {
      model: 'chat',
      messages: [{ role: 'user', content: 'x' }],
    });
    expect(count.status).toBe(504);
    const stuck = await json(`${gw.url}/v1/chat/completions`, chat());
    expect([503, 504]).toContain(stuck.status);
    await until(async () => {
      const h = await json<{ neurons: Array<{ healthy: boolean }> }>(`${gw.url}/health`);
      return h.body.neurons[0]!.healthy === false;
    }, 10_000);
    real.child.kill('SIGCONT');
    await until(async () => (await json(`${gw.url}/v1/chat/completions`, chat())).status === 200, 15_000, 200);
  });

  it('drops a client that stops reading, and stops the neuron’s stream with it', async () => {
    const n = await fake({ tokensPerSecond: 2000, defaultTokens: 100_000, tokenBytes: 16 * 1024 });
    const gw = await gateway([{ name: 'n', url: n.url }], '[limits]\nstall_timeout_s = 1\nstall_buffer_mb = 64\n');
    const body = JSON.stringify({ model: 'chat', stream: true, messages: [{ role: 'user', content: 'x' }] });
    const url = new URL(`${gw.url}/v1/chat/completions`);
    const req = request({
      host: url.hostname,
      port: url.port,
      path: url.pathname,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
    });
    req.on('response', (res) => res.pause()); // reads nothing, ever
    req.on('error', () => undefined);
    req.end(body);
    cleanup.push(async () => req.destroy());
    await until(async () => n.openStreams() === 1, 5000, 20);
    const t0 = Date.now();
    // The paused client never sees the close (its buffers are full); the gateway and the neuron do.
    await until(async () => n.abortedStreams() === 1 && n.openStreams() === 0, 10_000, 50);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(900); // stall_timeout_s, not at once
    expect(gw.output()).toContain('dropped a client stream that stalled');
    expect(await gw.metrics()).toMatch(/cortex_request_errors_total\{[^}]*reason="client_disconnect"[^}]*\} 1/);
  });

  it('SIGTERM drains: /readyz goes 503, new requests get shutting_down, short streams finish, long ones end with an error in their dialect', async () => {
    const n = await fake({ tokensPerSecond: 20 });
    const gw = await gateway([{ name: 'n', url: n.url }], '', { CORTEX_GATEWAY__DRAIN_TIMEOUT_S: '2' });
    const post = (path: string, b: unknown) =>
      fetch(`${gw.url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(b),
      });
    const long = post('/v1/chat/completions', chat('chat', { stream: true, max_tokens: 400 }));
    const longAnthropic = post('/v1/messages', chat('chat', { stream: true, max_tokens: 400 }));
    const longResponses = post('/v1/responses', { model: 'chat', stream: true, input: 'x', max_output_tokens: 400 });
    const short = post('/v1/chat/completions', chat('chat', { stream: true, max_tokens: 30 }));
    const reading = Promise.all([long, short, longResponses].map(async (r) => readSse(await r)));
    const anthropicText = longAnthropic.then((r) => r.text());
    await until(async () => n.openStreams() === 4, 5000, 20);
    const t0 = Date.now();
    const exited = gw.stop('SIGTERM');
    await until(async () => (await fetch(`${gw.url}/readyz`)).status === 503, 2000, 20);
    const refused = await json(`${gw.url}/v1/chat/completions`, chat());
    expect(refused).toMatchObject({ status: 503, body: { error: { code: 'shutting_down' } } });
    const refusedAnthropic = await json(`${gw.url}/v1/messages`, chat());
    expect(refusedAnthropic).toMatchObject({
      status: 529,
      body: { type: 'error', error: { type: 'overloaded_error' } },
    });
    const [longSse, shortSse, responsesSse] = await reading;
    expect(shortSse.data.at(-1)).toBe('[DONE]');
    expect(responsesSse.data.at(-1)).toMatchObject({
      type: 'response.failed',
      response: { status: 'failed', error: { code: 'shutting_down' } },
    });
    expect(longSse.data.at(-1)).toMatchObject({ error: { code: 'shutting_down' } });
    expect(await anthropicText).toMatch(/event: error\ndata: \{"type":"error","error":\{"type":"overloaded_error"/);
    expect([0, 'SIGTERM']).toContain(await exited); // Nest re-raises the signal once closed
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1900);
    expect(Date.now() - t0).toBeLessThan(8000);
  });

  it('a client that sends its request slowly (slowloris) is cut off at limits.request_timeout_s', async () => {
    const n = await fake();
    const gw = await gateway([{ name: 'n', url: n.url }], '[limits]\nrequest_timeout_s = 2\n');
    const url = new URL(gw.url);
    const t0 = Date.now();
    const answer = await new Promise<string>((resolve) => {
      const sock = connect(Number(url.port), url.hostname, () => {
        sock.write('POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\ncontent-type: application/json\r\n');
        sock.write('content-length: 1000\r\n\r\n{"model":'); // …and never the rest
      });
      let got = '';
      sock.on('data', (d) => (got += d.toString()));
      sock.on('close', () => resolve(got));
    });
    const ms = Date.now() - t0;
    expect(ms).toBeGreaterThanOrEqual(1500);
    expect(ms).toBeLessThan(6000);
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
    expect((await json(`${gw.url}/v1/chat/completions`, chat())).status).toBe(200); // others unaffected
  });
});
