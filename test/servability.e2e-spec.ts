/**
 * Servability on real neurons: neuron `a` has a 1 MB memory budget, so every model it holds is
 * over-committed and reported `servable: {ok: false, reason: insufficient_vram}`; the gateway routes
 * around it, `/health` turns impaired with an `unservable` list, a model only `a` may hold gets a 503
 * that says why, and one that may go elsewhere is cold-loaded there instead.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GatewayHandle, chatAs, servedBy, startGateway } from './helpers/gateway';
import { type NeuronHandle, startNeuron } from './helpers/neuron';
import { json, until } from './helpers/processes';

const preload = (id: string) => `[[preload]]\nid = "${id}"\nsource = "tiny.gguf"\ncontext_size = 256\n`;

describe('servability', () => {
  let a: NeuronHandle;
  let b: NeuronHandle;
  let gw: GatewayHandle;

  beforeAll(async () => {
    [a, b] = await Promise.all([
      startNeuron(`devices = ["cpu"]\ncpu_memory_mb = 1\n${preload('chat')}${preload('only-a')}`),
      startNeuron(`devices = ["cpu"]\n${preload('chat')}`),
    ]);
    await Promise.all([
      a.waitStatus('chat', 'loaded'),
      a.waitStatus('only-a', 'loaded'),
      b.waitStatus('chat', 'loaded'),
    ]);
    gw = await startGateway({
      neurons: [
        { name: 'a', url: a.url },
        { name: 'b', url: b.url },
      ],
      models:
        '[[models]]\nid = "chat"\nsource = "tiny.gguf"\ncontext_size = 256\n' +
        '[[models]]\nid = "only-a"\nsource = "tiny.gguf"\ncontext_size = 256\npinned_on = ["a"]\n' +
        '[[models]]\nid = "moves"\nsource = "tiny.gguf"\ncontext_size = 256\n',
      extra: '[eviction]\nmin_residency_s = 0\n',
    });
  }, 120_000);

  afterAll(async () => {
    await gw?.close();
    await Promise.all([a?.close(), b?.close()]);
  });

  const ask = (model: string, id: string) => chatAs(gw.url, model, id);
  const nodeOf = async (id: string) => (await servedBy(gw.url)).get(id);

  it('the neuron reports an over-committed device’s models as not servable, and says why', async () => {
    const models = await json<{ data: Array<{ id: string; servable?: Record<string, unknown> }> }>(`${a.url}/models`);
    expect(models.body.data.find((m) => m.id === 'chat')?.servable).toMatchObject({
      ok: false,
      reason: 'insufficient_vram',
      detail: expect.stringMatching(/MiB free on cpu, need at least 0 MiB/),
    });
    const onB = await json<{ data: Array<{ id: string; servable?: unknown }> }>(`${b.url}/models`);
    expect(onB.body.data[0]?.servable).toEqual({ ok: true });
  });

  it('routes around the unservable replica (a sorts first by name)', async () => {
    for (let i = 0; i < 4; i++) {
      const res = await ask('chat', `route-${i}`);
      expect(res.status).toBe(200);
      expect(await nodeOf(`route-${i}`)).toBe('b');
    }
  });

  it('/health is impaired and lists every unservable replica', async () => {
    const h = await json<Record<string, unknown>>(`${gw.url}/health`);
    expect(h.status).toBe(200);
    expect(h.body.status).toBe('impaired');
    expect(h.body.unservable).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ node: 'a', model: 'chat', reason: 'insufficient_vram' }),
        expect.objectContaining({ node: 'a', model: 'only-a', reason: 'insufficient_vram' }),
      ]),
    );
  });

  it('a model only the unservable neuron may hold gets a 503 with the reason, in the caller’s dialect', async () => {
    const res = await ask('only-a', 'pinned');
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('5');
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('insufficient_capacity');
    expect(body.error.message).toMatch(/cannot serve there \(insufficient_vram: .*MiB free on cpu/);
    const anthropic = await fetch(`${gw.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'only-a', max_tokens: 2, messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(anthropic.status).toBe(529);
    expect(await anthropic.json()).toMatchObject({ type: 'error', error: { type: 'overloaded_error' } });
  });

  it('a model whose only replica cannot serve is cold-loaded on another neuron', async () => {
    const loadedOnA = await json(`${a.url}/models/load`, { id: 'moves', source: 'tiny.gguf', context_size: 256 });
    expect(loadedOnA.status).toBe(200);
    expect(loadedOnA.body.servable).toMatchObject({ ok: false });
    await until(async () => {
      type Fleet = { neurons: Array<{ name: string; models: Array<{ id: string; servable?: { ok: boolean } }> }> };
      const f = await json<Fleet>(`${gw.url}/admin/fleet`);
      // The gateway has polled it as loaded and unservable there.
      return f.body.neurons
        .find((n) => n.name === 'a')
        ?.models.some((m) => m.id === 'moves' && m.servable?.ok === false);
    });
    const res = await ask('moves', 'moves');
    expect(res.status).toBe(200);
    expect(await nodeOf('moves')).toBe('b');
    await b.waitStatus('moves', 'loaded');
  });
});
