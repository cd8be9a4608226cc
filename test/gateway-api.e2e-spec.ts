import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GatewayHandle, startGateway } from './helpers/gateway';
import { type NeuronHandle, startNeuron } from './helpers/neuron';
import { spawnSync } from 'node:child_process';
import { CLI, json, readSse, until } from './helpers/processes';

// The unified API through a real gateway and two real neurons, driven by the official SDKs.

const MODELS = `
[[models]]
id = "chat"
source = "tiny.gguf"
vram_mb = 40
context_size = 2048
max_in_flight = 2

[[models]]
id = "cold"
source = "tiny.gguf"
vram_mb = 40
context_size = 2048
# 4 seats + the neuron's 16 queue places = room for all 20 requests
max_in_flight = 4

[aliases]
"cortex/chat" = "chat"
`;

describe('gateway API (two neurons, official SDKs)', () => {
  let a: NeuronHandle;
  let b: NeuronHandle;
  let gw: GatewayHandle;
  let openai: OpenAI;
  let anthropic: Anthropic;

  beforeAll(async () => {
    [a, b] = await Promise.all([startNeuron('devices = ["cpu"]\n'), startNeuron('devices = ["cpu"]\n')]);
    gw = await startGateway({
      neurons: [
        { name: 'a', url: a.url },
        { name: 'b', url: b.url },
      ],
      models: MODELS,
    });
    openai = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: 'placeholder', maxRetries: 0 });
    anthropic = new Anthropic({ baseURL: gw.url, apiKey: 'placeholder', maxRetries: 0 });
  });
  afterAll(async () => {
    await gw?.close();
    await Promise.all([a?.close(), b?.close()]);
  });

  it('answers HEAD / and GET / (Claude Code probes HEAD / first)', async () => {
    expect((await fetch(`${gw.url}/`, { method: 'HEAD' })).status).toBe(200);
    expect((await json(`${gw.url}/`)).body).toMatchObject({ name: 'cortex', status: 'ok' });
  });

  it('serves OpenAI chat completions, non-streaming and streaming, through an alias', async () => {
    const res = await openai.chat.completions.create({
      model: 'cortex/chat',
      messages: [{ role: 'user', content: 'Hi' }],
      max_tokens: 12,
    });
    expect(res.choices[0]!.finish_reason).toBe('length');
    expect(res.usage?.completion_tokens).toBe(12);
    const stream = await openai.chat.completions.create({
      model: 'chat',
      messages: [{ role: 'user', content: 'Hi' }],
      max_tokens: 9,
      stream: true,
    });
    let text = '';
    let usage: OpenAI.CompletionUsage | undefined;
    let finish: string | null = null;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta?.content ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
      usage = chunk.usage ?? usage;
    }
    expect(text.length).toBeGreaterThan(0);
    expect(finish).toBe('length');
    expect(usage?.completion_tokens).toBe(9);
  });

  it('serves Anthropic messages (create and stream) with Claude Code’s headers, query string and fields', async () => {
    const headers = {
      'anthropic-beta': 'claude-code-20250219,interleaved-thinking-2025-05-14',
      'anthropic-version': '2023-06-01',
    };
    const params = {
      model: 'chat',
      max_tokens: 16,
      system: [{ type: 'text' as const, text: 'You are terse.', cache_control: { type: 'ephemeral' as const } }],
      messages: [{ role: 'user' as const, content: 'Hello' }],
      metadata: { user_id: 'u1' },
    };
    const msg = await anthropic.messages.create(params, { headers, query: { beta: 'true' } });
    expect(msg).toMatchObject({
      type: 'message',
      role: 'assistant',
      model: 'chat',
      stop_reason: 'max_tokens',
      usage: { output_tokens: 16 },
    });
    expect(msg.content[0]).toMatchObject({ type: 'text' });

    const final = await anthropic.messages
      .stream({ ...params, max_tokens: 32000, thinking: { type: 'adaptive' } } as never, {
        headers,
        query: { beta: 'true' },
      })
      .finalMessage();
    expect(final.stop_reason).toBe('max_tokens');
    // The prompt is input_tokens plus what was read from the KV cache (an earlier request's prefix).
    const u = final.usage;
    expect(u.input_tokens + (u.cache_read_input_tokens ?? 0) + u.output_tokens).toBe(2048);
  });

  it('counts tokens exactly as a real request would, tools included', async () => {
    const body = {
      model: 'chat',
      system: 'Count me.',
      tools: [
        {
          name: 'read_file',
          description: 'Read a file',
          input_schema: { type: 'object' as const, properties: { path: { type: 'string' } } },
        },
      ],
      messages: [{ role: 'user' as const, content: 'How many tokens is this?' }],
    };
    const counted = await anthropic.messages.countTokens(body);
    const real = await anthropic.messages.create({ ...body, max_tokens: 1 });
    expect(counted.input_tokens).toBeGreaterThan(10);
    expect(counted.input_tokens).toBe(real.usage.input_tokens);
  });

  it('turns an unknown model into each SDK’s NotFoundError', async () => {
    await expect(
      openai.chat.completions.create({ model: 'nope', messages: [{ role: 'user', content: 'x' }] }),
    ).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    await expect(
      anthropic.messages.create({ model: 'nope', max_tokens: 5, messages: [{ role: 'user', content: 'x' }] }),
    ).rejects.toBeInstanceOf(Anthropic.NotFoundError);
  });

  it('cold-loads once for 20 concurrent requests, and serves all 20', async () => {
    const before = a.output().split('loading cold from').length + b.output().split('loading cold from').length;
    const all = await Promise.all(
      Array.from({ length: 20 }, () =>
        json(`${gw.url}/v1/chat/completions`, {
          model: 'cold',
          max_tokens: 2,
          messages: [{ role: 'user', content: 'x' }],
        }),
      ),
    );
    expect(all.map((r) => r.status)).toEqual(Array(20).fill(200));
    const after = a.output().split('loading cold from').length + b.output().split('loading cold from').length;
    expect(after - before).toBe(1);
    expect(await gw.metrics()).toMatch(/cortex_cold_starts_total\{model="cold",node="[ab]"\} 1\n/);
  });

  it('streams keep-alive pings while a cold load runs', async () => {
    await json(`${gw.url}/admin/models/unload`, { model: 'cold' });
    const res = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'cold', stream: true, max_tokens: 3, messages: [{ role: 'user', content: 'x' }] }),
    });
    const { data } = await readSse(res);
    expect(data.at(-1)).toBe('[DONE]');
  });

  it('a client disconnect stops the neuron’s generation (in_flight back to 0)', async () => {
    const ac = new AbortController();
    const res = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'chat', stream: true, messages: [{ role: 'user', content: 'go on forever' }] }),
      signal: ac.signal,
    });
    let n = 0;
    await readSse(res, () => ++n === 5 && ac.abort()).catch(() => undefined);
    const holder = (
      await json<{ data: Array<{ id: string; locations: Array<{ node: string }> }> }>(`${gw.url}/v1/models`)
    ).body.data.find((m) => m.id === 'chat')!.locations[0]!.node;
    const neuron = holder === 'a' ? a : b;
    await until(
      async () => ((await neuron.health()).models.find((m) => m.id === 'chat')?.in_flight === 0 ? true : undefined),
      5000,
      20,
    );
    expect(neuron.output()).toMatch(/NOT poisoned \(aborted\)/);
  });

  it('accepts bodies over 4 MiB (a prompt over the context is a 400 with the counts, never a 413)', async () => {
    const r = await json(`${gw.url}/v1/chat/completions`, {
      model: 'chat',
      messages: [{ role: 'user', content: 'ab '.repeat(1_500_000) }],
    });
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ error: { code: 'context_length_exceeded' } });
  });

  it('answers bad input with a 4xx in the caller’s dialect naming the field', async () => {
    expect(await json(`${gw.url}/v1/chat/completions`, { messages: [] })).toMatchObject({
      status: 400,
      body: { error: { param: 'model', type: 'invalid_request_error' } },
    });
    const bad = await json(`${gw.url}/v1/messages`, { model: 'chat', messages: [{ role: 'user', content: 'x' }] });
    expect(bad).toMatchObject({ status: 400, body: { type: 'error', error: { type: 'invalid_request_error' } } });
    expect((bad.body as { error: { message: string } }).error.message).toContain('max_tokens');
    const res = await fetch(`${gw.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{nope',
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ type: 'error', error: { type: 'invalid_request_error' } });
  });

  it('lists the merged catalogue with locations and aliases', async () => {
    const { body } = await json<{
      data: Array<{ id: string; loaded: boolean; alias_of?: string; feasible_on: string[]; locations: unknown[] }>;
    }>(`${gw.url}/v1/models`);
    const chat = body.data.find((m) => m.id === 'chat')!;
    expect(chat).toMatchObject({ loaded: true, feasible_on: ['a', 'b'] });
    expect(chat.locations.length).toBeGreaterThan(0);
    expect(body.data.find((m) => m.id === 'cortex/chat')).toMatchObject({ alias_of: 'chat' });
    // What clients pick by, from the loaded model itself (a generative model without a thought format).
    expect(chat).toMatchObject({
      capabilities: ['text', 'tools', 'embeddings'],
      tool_call: true,
      reasoning: false,
      modalities: { input: ['text'], output: ['text'] },
    });
    // Callers that speak Anthropic get Anthropic's list (Claude Code's model discovery, the SDK's models.list()).
    const anthropic = new Anthropic({ baseURL: gw.url, apiKey: 'x', maxRetries: 0 });
    const listed: Array<{ id: string; type: string; display_name: string; created_at: string }> = [];
    for await (const m of anthropic.models.list()) listed.push(m as unknown as (typeof listed)[number]);
    expect(listed.map((m) => m.id)).toEqual(body.data.map((m) => m.id));
    expect(listed[0]).toMatchObject({ type: 'model', display_name: listed[0]!.id });
    expect(listed[0]!.created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  });

  it('drives the admin API from the CLI: status, models, load, pin, unpin, unload', async () => {
    const cortex = (...args: string[]) =>
      spawnSync(process.execPath, [CLI, ...args, '--endpoint', gw.url], { encoding: 'utf8' });
    expect(JSON.parse(cortex('load', 'cortex/chat').stdout)).toMatchObject({ model: 'chat' });
    const status = cortex('status');
    expect(status.status).toBe(0);
    expect(status.stdout).toMatch(
      /^fleet: ok \(2\/2 neurons healthy, eviction lru, gateway 0\.1\.0\+[0-9a-f]{12}(-dirty)?\)/,
    );
    expect(status.stdout).toMatch(/chat\s+loaded/);
    expect(cortex('models').stdout).toMatch(/cortex\/chat\s+40 MB\s+→ chat/); // vram_mb 40 from models.toml
    expect(JSON.parse(cortex('pin', 'chat').stdout)).toMatchObject({ model: 'chat', pinned: true });
    expect(cortex('status').stdout).toMatch(/chat\s+loaded .* pinned/);
    expect(JSON.parse(cortex('unpin', 'chat').stdout)).toMatchObject({ pinned: false });
    expect(JSON.parse(cortex('load', 'cold', '--node', 'b').stdout)).toMatchObject({ model: 'cold', node: 'b' });
    const unloaded = JSON.parse(cortex('unload', 'cold').stdout) as { unloaded_from: string[] };
    expect(unloaded.unloaded_from).toContain('b');
    const missing = cortex('unload', 'nope');
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/^cortex: gateway answered 404: model 'nope' is not loaded/);
  });

  it('exports the metrics after traffic', async () => {
    const text = await gw.metrics();
    for (const name of [
      'cortex_requests_total',
      'cortex_request_errors_total',
      'cortex_cold_starts_total',
      'cortex_request_duration_seconds_bucket',
      'cortex_time_to_first_token_seconds_bucket',
      'cortex_tokens_per_second_bucket',
      'cortex_prompt_tokens_total',
      'cortex_completion_tokens_total',
      'cortex_model_in_flight',
      'cortex_device_vram_free_mb',
      'cortex_neuron_up',
    ]) {
      expect(text).toContain(name);
    }
    expect(text).toMatch(/cortex_requests_total\{model="chat",node="[ab]",api="anthropic"\} \d+/);
  });
});
