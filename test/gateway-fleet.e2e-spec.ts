import Anthropic from '@anthropic-ai/sdk';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { type GatewayHandle, startGateway } from './helpers/gateway';
import { type NeuronHandle, startNeuron } from './helpers/neuron';
import { json, readSse, until } from './helpers/processes';

// Fleet behaviour with real neurons: eviction (LRU vs priority), pins, a dead neuron, a neuron
// killed mid-stream, and auth. CPU neurons get a 100 MB memory budget so three 40 MB models do
// not fit together.

const catalogue = (strategyPriorities = { m1: 10, m2: 50, m3: 100 }) =>
  Object.entries(strategyPriorities)
    .map(
      ([id, p]) =>
        `[[models]]\nid = "${id}"\nsource = "tiny.gguf"\nvram_mb = 40\ncontext_size = 1024\nresidency_priority = ${p}\n`,
    )
    .join('\n');

const ask = (gw: GatewayHandle, model: string, extra: Record<string, unknown> = {}) =>
  json(`${gw.url}/v1/chat/completions`, { model, max_tokens: 2, messages: [{ role: 'user', content: 'x' }], ...extra });

const resident = async (n: NeuronHandle) => (await n.health()).models.map((m) => m.id).sort();

describe('gateway fleet behaviour', () => {
  const cleanup: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of cleanup.splice(0).reverse()) await c();
  });
  afterAll(async () => {
    for (const c of cleanup.splice(0).reverse()) await c();
  });

  async function neuron(extra = ''): Promise<NeuronHandle> {
    const n = await startNeuron(`devices = ["cpu"]\ncpu_memory_mb = 100\n${extra}`);
    cleanup.push(() => n.close());
    return n;
  }
  async function gateway(
    neurons: Array<{ name: string; url: string }>,
    models: string,
    extra = '',
    strategy = 'lru',
  ): Promise<GatewayHandle> {
    const eviction = `[eviction]\nstrategy = "${strategy}"\nmin_residency_s = 0\n`;
    const gw = await startGateway({ neurons, models, extra: `${eviction}${extra}` });
    cleanup.push(() => gw.close());
    return gw;
  }

  it('places by the neuron’s GGUF estimate when models.toml has no vram_mb, evicting to make room', async () => {
    // The tiny model at context 8192 with one KV sequence (no idle ones) is estimated at ~11 MB: one
    // fits in 15 MB, two do not.
    const n = await startNeuron('devices = ["cpu"]\ncpu_memory_mb = 15\n[sessions]\nidle_sequences = 0\n');
    cleanup.push(() => n.close());
    const models = ['big1', 'big2'].map(
      (id) => `[[models]]\nid = "${id}"\nsource = "tiny.gguf"\ncontext_size = 8192\n`,
    );
    const gw = await gateway([{ name: 'n', url: n.url }], models.join('\n'));
    expect((await ask(gw, 'big1')).status).toBe(200);
    expect((await ask(gw, 'big2')).status).toBe(200);
    expect(await resident(n)).toEqual(['big2']);
    expect(await gw.metrics()).toMatch(/cortex_evictions_total\{node="n",model="big1",reason="make_room:big2"\} 1/);
    const listed = await json<{ data: Array<{ id: string; vram_mb: number | null; vram_source: string | null }> }>(
      `${gw.url}/v1/models`,
    );
    const big1 = listed.body.data.find((m) => m.id === 'big1')!;
    expect(big1.vram_source).toBe('estimate');
    expect(big1.vram_mb).toBeGreaterThan(7);
    expect(big1.vram_mb).toBeLessThan(15);
  });

  it('LRU and priority evict different models in the same scenario, and every eviction is counted', async () => {
    const n = await neuron();
    const lru = await gateway([{ name: 'n', url: n.url }], catalogue());
    const prio = await gateway([{ name: 'n', url: n.url }], catalogue(), '', 'priority');
    // m2 (priority 50) is used first, m1 (priority 10) last: LRU's victim is m2, priority's is m1.
    const scenario = async (gw: GatewayHandle) => {
      expect((await ask(gw, 'm2')).status).toBe(200);
      expect((await ask(gw, 'm1')).status).toBe(200);
      expect((await ask(gw, 'm3')).status).toBe(200);
      return resident(n);
    };
    expect(await scenario(lru)).toEqual(['m1', 'm3']);
    expect(await lru.metrics()).toMatch(/cortex_evictions_total\{node="n",model="m2",reason="make_room:m3"\} 1/);
    await json(`${lru.url}/admin/models/unload`, { model: 'm3' });
    await json(`${lru.url}/admin/models/unload`, { model: 'm1' });
    expect(await scenario(prio)).toEqual(['m2', 'm3']);
    expect(await prio.metrics()).toMatch(/cortex_evictions_total\{node="n",model="m1",reason="make_room:m3"\} 1/);
  });

  it('never evicts a pinned model; when only pinned models are left it answers 503 with Retry-After', async () => {
    const n = await neuron();
    const gw = await gateway([{ name: 'n', url: n.url }], catalogue({ m1: 100, m2: 100, m3: 100 }));
    expect((await json(`${gw.url}/admin/models/pin`, { model: 'm1' })).body).toMatchObject({
      pinned: true,
      nodes: ['n'],
    });
    expect((await ask(gw, 'm2')).status).toBe(200);
    expect((await ask(gw, 'm3')).status).toBe(200);
    expect(await resident(n)).toEqual(['m1', 'm3']);
    expect((await ask(gw, 'm2')).status).toBe(200);
    expect(await resident(n)).toEqual(['m1', 'm2']);
    await json(`${gw.url}/admin/models/pin`, { model: 'm2' });
    const full = await ask(gw, 'm3');
    expect(full.status).toBe(503);
    expect(full.body).toMatchObject({ error: { code: 'insufficient_capacity' } });
    expect(full.headers.get('retry-after')).toBe('5');
  });

  it('a killed neuron is marked unhealthy and its model served elsewhere; a stream cut by a killed neuron goes on elsewhere, and ends with an error in its dialect when no neuron is left', async () => {
    const [n1, n2, n3] = await Promise.all([neuron(), neuron(), neuron()]);
    const gw = await gateway(
      [
        { name: 'n1', url: n1.url },
        { name: 'n2', url: n2.url },
        { name: 'n3', url: n3.url },
      ],
      '[[models]]\nid = "x"\nsource = "tiny.gguf"\nvram_mb = 40\ncontext_size = 4096\n',
    );
    expect((await ask(gw, 'x')).status).toBe(200);
    expect(await resident(n1)).toEqual(['x']);

    await n1.stop('SIGKILL');
    expect((await ask(gw, 'x')).status).toBe(200); // connection refused → retried elsewhere
    const health = await until(async () => {
      const h = (await json<{ status: string; neurons: Array<{ name: string; healthy: boolean }> }>(`${gw.url}/health`))
        .body;
      return h.neurons.find((x) => x.name === 'n1')?.healthy === false && h;
    });
    expect(health.status).toBe('impaired');
    expect(await gw.metrics()).toMatch(/cortex_neuron_up\{node="n1"\} 0/);

    const holder = (await resident(n2)).includes('x') ? n2 : n3;
    const res = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'x', stream: true, messages: [{ role: 'user', content: 'go' }] }),
    });
    // The stream goes on on the last neuron, which the gateway cold-loads for it (docs/resume.md).
    const { data } = await readSse(res, (_d, i) => i === 4 && void holder.stop('SIGKILL'));
    expect(data.at(-1)).toBe('[DONE]');
    expect(data.filter((d) => typeof d === 'object' && (d as { error?: unknown }).error)).toEqual([]);
    expect(await gw.metrics()).toMatch(/cortex_stream_resumes_total\{model="x",result="ok"\} 1/);

    await until(async () => (await json<{ nodes: { healthy: number } }>(`${gw.url}/health`)).body.nodes.healthy === 1);
    const last = holder === n2 ? n3 : n2;
    // With no other neuron left, a stream cut mid-way ends with an error in its dialect.
    const anthropic = new Anthropic({ baseURL: gw.url, apiKey: 'x', maxRetries: 0 });
    await ask(gw, 'x');
    const stream = anthropic.messages.stream({
      model: 'x',
      max_tokens: 3000,
      messages: [{ role: 'user', content: 'go' }],
    });
    let deltas = 0;
    stream.on('text', () => ++deltas === 4 && void last.stop('SIGKILL'));
    const err = await stream.finalMessage().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.APIError);
    expect(String((err as Error).message)).toMatch(/failed mid-stream|ended before/);
  }, 90_000);

  it('recycles a device worker after defrag_after_cycles load/unload cycles, and models come back', async () => {
    const n = await neuron();
    const pid = (await n.health()).devices[0]!.pid;
    const cfgGw = await gateway(
      [{ name: 'n', url: n.url }],
      catalogue({ m1: 100, m2: 100, m3: 100 }),
      'defrag_after_cycles = 3\n',
    );
    for (const m of ['m1', 'm2', 'm3']) expect((await ask(cfgGw, m)).status).toBe(200);
    const after = await until(async () => {
      const d = (await n.health()).devices[0]!;
      return d.pid !== pid && d.state === 'ready' && d;
    });
    expect(after.restarts).toBe(0); // a planned recycle is not a crash
    expect(await cfgGw.metrics()).toMatch(/cortex_defrag_recycles_total\{node="n",device="cpu"\} 1/);
    expect(await resident(n)).toEqual(['m2', 'm3']);
    expect((await ask(cfgGw, 'm3')).status).toBe(200);
  });

  it('unloads a model idle past its ttl_s in the background, and counts it', async () => {
    const n = await neuron();
    const gw = await gateway(
      [{ name: 'n', url: n.url }],
      '[[models]]\nid = "brief"\nsource = "tiny.gguf"\nvram_mb = 40\nttl_s = 1\n[[models]]\nid = "stays"\nsource = "tiny.gguf"\nvram_mb = 40\n',
    );
    expect((await ask(gw, 'brief')).status).toBe(200);
    expect((await ask(gw, 'stays')).status).toBe(200);
    await until(async () => (await resident(n)).join() === 'stays', 10_000);
    // The gateway counts the eviction when the neuron's unload answer reaches it, a moment after the
    // neuron dropped the model: wait for the count rather than race it.
    const evicted = /cortex_evictions_total\{node="n",model="brief",reason="idle"\} 1/;
    const metrics = await until(async () => {
      const text = await gw.metrics();
      return evicted.test(text) && text;
    }, 5_000);
    expect(metrics).toMatch(evicted);
  });

  it('sends each neuron its token from cortex.toml (the neuron’s token guards every route)', async () => {
    const n = await neuron('token = "nt-secret"\n');
    const withToken = await startGateway({
      neurons: [],
      models: catalogue(),
      extra: `[eviction]\nmin_residency_s = 0\n[[neurons]]\nname = "n"\nendpoint = "${n.url}"\ntoken = "nt-secret"\n`,
    });
    cleanup.push(() => withToken.close());
    await until(async () => (await fetch(`${withToken.url}/readyz`)).status === 200);
    expect((await ask(withToken, 'm1')).status).toBe(200);
    const without = await startGateway({
      neurons: [],
      models: catalogue(),
      extra: `[[neurons]]\nname = "n"\nendpoint = "${n.url}"\n`,
    });
    cleanup.push(() => without.close());
    const health = await until(async () => {
      const h = await json<{ neurons: Array<{ healthy: boolean; last_error: string | null }> }>(
        `${without.url}/health`,
      );
      return h.body.neurons[0]?.last_error ? h.body.neurons[0] : undefined;
    });
    expect(health.healthy).toBe(false);
    expect(health.last_error).toMatch(/refused the gateway's credentials/);
    const refused = await ask(without, 'm2');
    expect(refused.status).toBe(503);
  });

  it('enforces auth: keys as Bearer or x-api-key, anonymous only when not required, admin keys for /admin', async () => {
    const n = await neuron();
    const keys = '[auth]\nrequire_auth = true\n[[auth.keys]]\nkey = "sk-good"\naccount_id = "team"\n';
    const gw = await gateway([{ name: 'n', url: n.url }], catalogue(), keys);
    const none = await ask(gw, 'm1');
    expect(none).toMatchObject({ status: 401, body: { error: { code: 'invalid_api_key' } } });
    const bad = await json(
      `${gw.url}/v1/chat/completions`,
      { model: 'm1', max_tokens: 1, messages: [{ role: 'user', content: 'x' }] },
      { authorization: 'Bearer sk-bad' },
    );
    expect(bad.status).toBe(401);
    const bearer = await json(
      `${gw.url}/v1/chat/completions`,
      { model: 'm1', max_tokens: 1, messages: [{ role: 'user', content: 'x' }] },
      { authorization: 'Bearer sk-good' },
    );
    expect(bearer.status).toBe(200);
    const anthropicNoKey = await json(`${gw.url}/v1/messages`, {
      model: 'm1',
      max_tokens: 1,
      messages: [{ role: 'user', content: 'x' }],
    });
    expect(anthropicNoKey).toMatchObject({
      status: 401,
      body: { type: 'error', error: { type: 'authentication_error' } },
    });
    const msg = await new Anthropic({ baseURL: gw.url, apiKey: 'sk-good', maxRetries: 0 }).messages.create({
      model: 'm1',
      max_tokens: 1,
      messages: [{ role: 'user', content: 'x' }],
    });
    expect(msg.type).toBe('message');
    expect((await json(`${gw.url}/health`)).status).toBe(200);

    const open = await gateway(
      [{ name: 'n', url: n.url }],
      catalogue(),
      '[auth]\nrequire_auth = false\n[[auth.keys]]\nkey = "sk-good"\naccount_id = "team"\n' +
        '[[auth.keys]]\nkey = "sk-admin"\naccount_id = "ops"\nadmin = true\n',
    );
    expect(
      (
        await json(
          `${open.url}/v1/chat/completions`,
          { model: 'm1', max_tokens: 1, messages: [{ role: 'user', content: 'x' }] },
          { authorization: 'Bearer placeholder' },
        )
      ).status,
    ).toBe(200);
    expect((await json(`${open.url}/admin/fleet`)).status).toBe(401);
    expect((await json(`${open.url}/admin/fleet`, undefined, { 'x-api-key': 'sk-good' })).status).toBe(403);
    expect((await json(`${open.url}/admin/fleet`, undefined, { 'x-api-key': 'sk-admin' })).status).toBe(200);
  });
});
