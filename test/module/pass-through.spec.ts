/** Module tier: an OpenAI body reaches the neuron as the client wrote it, unless the router resolved an alias. */
import { afterEach, describe, expect, it } from 'vitest';
import { FakeNeuronClient, device, model } from './fake-neuron-client';
import { type Harness, gatewayHarness } from './harness';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

// Spacing, key order, an escape, a number JSON.stringify would respell, a duplicate key: every byte kept.
const TEXT =
  '{ "messages" : [ {"role":"user","content":"caf\\u00e9 \\ud83d\\ude00"} ],\n  "temperature": 1.0, "max_tokens": 1e1, "model":"x", "model": "m" }';

describe('gateway module: OpenAI bodies pass through', () => {
  it('chat completions: the neuron gets the very text the client sent', async () => {
    const fleet = new FakeNeuronClient().node('a', {
      devices: [device('gpu0', 1000)],
      models: [model('m', 'gpu0', 40)],
    });
    h = await gatewayHarness(fleet);
    const r = await h.post('/v1/chat/completions', TEXT);
    expect(r.status).toBe(200);
    expect(fleet.forwarded[0]!.text).toBe(TEXT);
    expect(fleet.forwarded[0]!.body).toMatchObject({ model: 'm', temperature: 1, max_tokens: 10 });
  });

  it('an alias is resolved: the body is written again with the model the router chose', async () => {
    const fleet = new FakeNeuronClient().node('a', {
      devices: [device('gpu0', 1000)],
      models: [model('m', 'gpu0', 40)],
    });
    h = await gatewayHarness(fleet, '[[models]]\nid = "m"\nsource = "m.gguf"\nvram_mb = 40\n[aliases]\n"nick" = "m"\n');
    const r = await h.post('/v1/chat/completions', TEXT.replace('"model": "m"', '"model": "nick"'));
    expect(r.status).toBe(200);
    const sent = fleet.forwarded[0]!;
    expect(sent.text).not.toContain('nick');
    expect(sent.body).toMatchObject({ model: 'm', max_tokens: 10, messages: [{ role: 'user', content: 'café 😀' }] });
  });

  it('a refused body never reaches a neuron, raw or not', async () => {
    const fleet = new FakeNeuronClient().node('a', {
      devices: [device('gpu0', 1000)],
      models: [model('m', 'gpu0', 40)],
    });
    h = await gatewayHarness(fleet);
    const r = await h.post(
      '/v1/chat/completions',
      '{"model":"m","messages":[{"role":"user","content":"x","__proto__":{}}]}',
    );
    expect(r.status).toBe(400);
    expect(fleet.forwarded).toHaveLength(0);
  });
});
