import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GatewayHandle, startGateway } from './helpers/gateway';
import { type NeuronHandle, startNeuron } from './helpers/neuron';
import { json, model } from './helpers/processes';

// Context that fits: a model loaded without context_size gets the largest context its device's free
// memory allows, up to its trained one (reported by the neuron and as the window clients are told),
// or is refused with the numbers; a prompt over the context is the caller's 400, in its dialect,
// before it queues and before any byte of a stream.

const LONG_PROMPT = 'tell me more about the weather '.repeat(120); // ~3,700 tokens in the tiny vocabulary

describe('context sizing and over-context prompts', () => {
  let neuron: NeuronHandle;
  let gw: GatewayHandle;

  beforeAll(async () => {
    neuron = await startNeuron('devices = ["cpu"]\n[admission]\nmax_in_flight = 1\n');
    model(neuron.modelsDir, 'long.gguf', { context: 32768 });
    gw = await startGateway({
      neurons: [{ name: 'n', url: neuron.url }],
      models:
        '[[models]]\nid = "long"\nsource = "long.gguf"\n' +
        '[[models]]\nid = "short"\nsource = "tiny.gguf"\ncontext_size = 512\n',
    });
    // Both resident before the tests: a cold load streams pings before the prompt can be counted.
    for (const id of ['long', 'short'])
      expect((await json(`${gw.url}/admin/models/load`, { model: id })).status).toBeLessThan(300);
  });
  afterAll(async () => {
    await gw?.close();
    await neuron?.close();
  });

  it('a model without context_size gets its trained context when it fits; the gateway tells clients the window', async () => {
    const { body } = await json<{ data: Array<Record<string, unknown>> }>(`${neuron.url}/models`);
    expect(body.data.find((m) => m.id === 'long')).toMatchObject({
      context_size: 32768,
      train_context_size: 32768,
      chat_wrapper: 'ChatML',
    });
    const list = await json<{ data: Array<{ id: string; limit?: unknown; max_model_len?: number }> }>(
      `${gw.url}/v1/models`,
    );
    expect(list.body.data.find((m) => m.id === 'long')).toMatchObject({
      limit: { context: 32768, output: 8192 },
      max_model_len: 32768,
    });
    expect(list.body.data.find((m) => m.id === 'short')).toMatchObject({ limit: { context: 512, output: 128 } });
  });

  const openai = { model: 'short', messages: [{ role: 'user', content: LONG_PROMPT }] };
  const anthropic = { ...openai, max_tokens: 64 };
  const responses = { model: 'short', input: LONG_PROMPT };
  const routes = [
    ['/v1/chat/completions', openai],
    ['/v1/messages', anthropic],
    ['/v1/responses', responses],
    ['/v1/completions', { model: 'short', prompt: LONG_PROMPT }],
  ] as const;

  it.each(routes.flatMap(([path, body]) => [false, true].map((stream) => [path, stream, body] as const)))(
    '%s (stream %s): a prompt over the context is a 400 in the dialect with both counts, while its only seat is busy',
    async (path, stream, body) => {
      // The model's one seat is taken by a long generation: the refusal must not wait behind it.
      const busy = new AbortController();
      const holder = fetch(`${gw.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          model: 'short',
          messages: [{ role: 'user', content: 'hi' }],
          max_tokens: 400,
          stream: true,
        }),
        signal: busy.signal,
      });
      const res = await fetch(`${gw.url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01' },
        body: JSON.stringify({ ...body, stream }),
      });
      busy.abort();
      await holder.catch(() => undefined);
      expect(res.status).toBe(400);
      expect(res.headers.get('content-type')).toMatch(/application\/json/); // not a stream that failed
      const err = (await res.json()) as { error: { type: string; code?: string; message: string } };
      expect(err.error.message).toMatch(/^prompt is too long: \d{4} tokens > 512 maximum/);
      if (path === '/v1/messages')
        expect(err).toMatchObject({ type: 'error', error: { type: 'invalid_request_error' } });
      else expect(err.error).toMatchObject({ code: 'context_length_exceeded', type: 'invalid_request_error' });
    },
  );

  it('a prompt that fits still streams (the size check does not refuse what the context holds)', async () => {
    const res = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'long', messages: openai.messages, max_tokens: 4, stream: true }),
    });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('[DONE]');
  });

  it('on a device with less memory free, the context shrinks to fit; below min_context the load is refused with the numbers', async () => {
    const small = await startNeuron('devices = ["cpu"]\ncpu_memory_mb = 45\n', { models: [] });
    try {
      model(small.modelsDir, 'long.gguf', { context: 32768 });
      const loaded = await json<{ context_size: number; estimated_vram_mb: number }>(`${small.url}/models/load`, {
        id: 'long',
        source: 'long.gguf',
      });
      expect(loaded.status).toBe(200);
      expect(loaded.body.context_size).toBeGreaterThanOrEqual(16384);
      expect(loaded.body.context_size).toBeLessThan(32768);
      expect(loaded.body.context_size % 256).toBe(0);
      expect(loaded.body.estimated_vram_mb).toBeLessThanOrEqual(45);
      // The estimate a gateway plans with: what the floor takes, whatever else is resident.
      const est = await json<Record<string, number>>(`${small.url}/models/estimate`, { source: 'long.gguf' });
      expect(est.body).toMatchObject({ min_context_size: 16384, train_context_size: 32768 });
      expect(est.body.min_vram_mb).toBeLessThan(est.body.estimated_vram_mb! + 1);
      // A second copy finds too little left for even min_context, and is refused with the numbers.
      const again = (extra: Record<string, unknown> = {}) =>
        json<{ context_size: number; error: { code: string; message: string } }>(`${small.url}/models/load`, {
          id: 'again',
          source: 'long.gguf',
          ...extra,
        });
      const refused = await again();
      expect(refused.status).toBe(503);
      expect(refused.body.error.code).toBe('insufficient_capacity');
      expect(refused.body.error.message).toMatch(/sequence\(s\) of 16384 tokens need \d+ MiB .* and \d+ MiB are free/);
      // With a model of a fixed context beside it, a lower min_context loads it with what is left.
      expect((await json(`${small.url}/models/unload`, { id: 'long' })).status).toBe(200);
      const fixed = await json(`${small.url}/models/load`, { id: 'fixed', source: 'long.gguf', context_size: 12288 });
      expect(fixed.body).toMatchObject({ context_size: 12288 });
      expect((await again()).status).toBe(503);
      const lower = await again({ min_context: 2048 });
      expect(lower.status).toBe(200);
      expect(lower.body.context_size).toBeGreaterThanOrEqual(2048);
      expect(lower.body.context_size).toBeLessThan(16384);
    } finally {
      await small.close();
    }
  });

  it('hands a tokenize caller the rendered prompt when asked', async () => {
    const r = await json<{ count: number; prompt: string }>(`${neuron.url}/v1/tokenize`, {
      model: 'long',
      messages: [{ role: 'user', content: 'Hello!' }],
      with_prompt: true,
    });
    expect(r.body.prompt).toMatch(/^<s><\|im_start\|>user\nHello!<\|im_end\|>\n<\|im_start\|>assistant\n$/);
    expect(r.body.count).toBeGreaterThan(5);
  });
});
