/** Module tier: routing, cold load, retry, re-route and eviction through the real gateway module and an in-memory fleet. */
import { afterEach, describe, expect, it } from 'vitest';
import { buildId, buildInfo } from '@app/core';
import { UpstreamError } from '../../apps/gateway/src/upstream/upstream-error';
import { FakeNeuronClient, chunk, device, jsonAnswer, model, sseAnswer } from './fake-neuron-client';
import { type Harness, gatewayHarness } from './harness';

const catalogue = (...ids: string[]) =>
  ids.map((id) => `[[models]]\nid = "${id}"\nsource = "${id}.gguf"\nvram_mb = 40\ncontext_size = 1024\n`).join('\n');
const chat = (model: string) => ({ model, messages: [{ role: 'user', content: 'hi' }] });

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe('gateway module: routing and cold loads', () => {
  it('twenty concurrent requests for a cold model cause one load, and all are answered', async () => {
    const fleet = new FakeNeuronClient().node('a', { devices: [device('gpu0', 1000)], models: [] });
    let open!: () => void;
    fleet.loadGate = new Promise<void>((r) => (open = r));
    h = await gatewayHarness(fleet, catalogue('m'));
    const replies = Array.from({ length: 20 }, () => h!.post('/v1/chat/completions', chat('m')));
    await expect.poll(() => fleet.loads.length).toBe(1);
    open();
    const done = await Promise.all(replies);
    expect(done.map((r) => r.status)).toEqual(Array(20).fill(200));
    expect(fleet.loads).toHaveLength(1);
    expect(fleet.forwarded).toHaveLength(20);
  });

  it('a connection refused before any byte retries once on another replica', async () => {
    const fleet = new FakeNeuronClient()
      .node('a', { devices: [device('gpu0', 1000)], models: [model('m', 'gpu0', 40)] })
      .node('b', { devices: [device('gpu0', 1000)], models: [model('m', 'gpu0', 40)] });
    h = await gatewayHarness(fleet);
    for (const n of ['a', 'b'])
      fleet.answers.set(n, (req) => {
        if (req.node === 'a') throw new UpstreamError('a', 'connect', 'a: ECONNREFUSED');
        return jsonAnswer(200, { id: 'x', object: 'chat.completion', choices: [] });
      });
    // The least-busy replica ties on load and goes by name: `a` is tried first.
    const r = await h.post('/v1/chat/completions', chat('m'));
    expect(r.status).toBe(200);
    expect(fleet.forwarded.map((f) => f.node)).toEqual(['a', 'b']);
    // `a` now counts as unhealthy (unhealthy_after = 1): the next request goes to `b` at once.
    await h.post('/v1/chat/completions', chat('m'));
    expect(fleet.forwarded.map((f) => f.node)).toEqual(['a', 'b', 'b']);
  });

  it('both replicas refusing is one 502 upstream_connection_error with Retry-After', async () => {
    const fleet = new FakeNeuronClient()
      .node('a', { devices: [device('gpu0', 1000)], models: [model('m', 'gpu0', 40)] })
      .node('b', { devices: [device('gpu0', 1000)], models: [model('m', 'gpu0', 40)] });
    h = await gatewayHarness(fleet);
    const refuse = (req: { node: string }) => {
      throw new UpstreamError(req.node, 'connect', `${req.node}: ECONNREFUSED`);
    };
    fleet.answers.set('a', refuse).set('b', refuse);
    const r = await h.post('/v1/chat/completions', chat('m'));
    expect(r.status).toBe(502);
    expect(r.json().error.code).toBe('upstream_connection_error');
    expect(r.headers['retry-after']).toBe('2');
  });

  it('a 404 model_not_found from a node the cache thought held the model routes again, and forgets that copy', async () => {
    const fleet = new FakeNeuronClient()
      .node('a', { devices: [device('gpu0', 1000)], models: [model('m', 'gpu0', 40)] })
      .node('b', { devices: [device('gpu0', 1000)], models: [model('m', 'gpu0', 40, new Date().toISOString())] });
    h = await gatewayHarness(fleet);
    fleet.answers.set('a', () =>
      jsonAnswer(404, {
        error: { message: "model 'm' is not loaded", type: 'not_found_error', code: 'model_not_found' },
      }),
    );
    const r = await h.post('/v1/chat/completions', chat('m'));
    expect(r.status).toBe(200);
    expect(fleet.forwarded.map((f) => f.node)).toEqual(['a', 'b']);
    const listed = (await h.get('/v1/models')).json() as {
      data: Array<{ id: string; locations: Array<{ node: string }> }>;
    };
    expect(listed.data.find((m) => m.id === 'm')!.locations.map((l) => l.node)).toEqual(['b']);
  });

  it('a cold load on a full device evicts the least recently used model first', async () => {
    const old = new Date(Date.now() - 3_600_000).toISOString();
    const recent = new Date(Date.now() - 60_000).toISOString();
    const fleet = new FakeNeuronClient().node('a', {
      devices: [device('gpu0', 100, 20)],
      models: [model('recent', 'gpu0', 40, recent), model('old', 'gpu0', 40, old)],
    });
    h = await gatewayHarness(fleet, catalogue('recent', 'old', 'new'), '[eviction]\nmin_residency_s = 0\n');
    const r = await h.post('/v1/chat/completions', chat('new'));
    expect(r.status).toBe(200);
    expect(fleet.unloads).toEqual([{ node: 'a', id: 'old' }]);
    expect(fleet.loads.map((l) => l.spec.id)).toEqual(['new']);
  });

  it('a shutdown drains: new requests get 503 shutting_down, and a stream still open at the drain timeout ends with that error', async () => {
    const fleet = new FakeNeuronClient().node('a', {
      devices: [device('gpu0', 1000)],
      models: [model('m', 'gpu0', 40)],
    });
    fleet.answers.set('a', (req) => {
      const held = new Promise((_, reject) => req.signal.addEventListener('abort', () => reject(new Error('aborted'))));
      return sseAnswer([chunk('par'), chunk('tial')], { hold: held });
    });
    const gw = await gatewayHarness(fleet, '', '', 'drain_timeout_s = 1');
    const inflight = gw.post('/v1/chat/completions', { ...chat('m'), stream: true });
    await expect.poll(() => fleet.forwarded.length).toBe(1);
    const closing = gw.app.close();
    await expect
      .poll(async () => {
        const r = await gw.post('/v1/chat/completions', chat('m'));
        return `${r.status} ${r.status === 503 ? r.json().error.code : ''}`;
      })
      .toBe('503 shutting_down');
    const late = await gw.post('/v1/messages', { ...chat('m'), max_tokens: 5 });
    expect(late.status).toBe(529);
    expect(late.json().error.type).toBe('overloaded_error');
    const streamed = await inflight;
    expect(streamed.status).toBe(200);
    const events = streamed.events();
    expect(events[0].choices[0].delta.content).toBe('par');
    expect(events.at(-1).error.code).toBe('shutting_down');
    await closing;
  });

  it('a neuron on another build is named in /admin/fleet as version skew; one on the same build is not', async () => {
    const fleet = new FakeNeuronClient()
      .node('same', { devices: [device('gpu0', 1000)], models: [] })
      .node('old', { devices: [device('gpu0', 1000)], models: [] });
    const ours = buildInfo();
    fleet.builds.set('same', ours).set('old', { ...ours, version: '0.0.9', git_sha: 'abcdef1234567890', dirty: false });
    h = await gatewayHarness(fleet);
    const f = (await h.get('/admin/fleet')).json() as {
      version: string;
      version_skew: string[];
      neurons: Array<{ name: string; version: string }>;
    };
    expect(f.version).toBe(buildId(ours));
    expect(f.version_skew).toEqual([`old: 0.0.9+abcdef123456 (gateway: ${buildId(ours)})`]);
    expect(f.neurons.map((n) => [n.name, n.version])).toEqual([
      ['same', buildId(ours)],
      ['old', '0.0.9+abcdef123456'],
    ]);
  });
});
