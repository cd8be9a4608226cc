import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type NeuronHandle, startNeuron } from './helpers/neuron';
import { json, readSse, until } from './helpers/processes';

// OpenAI inference on a real neuron: shapes, parameters, concurrency and admission, disconnects,
// context clamping, validation errors, metrics.

const chat = (extra: Record<string, unknown> = {}) => ({
  model: 'tiny',
  messages: [{ role: 'user', content: 'Tell me something.' }],
  ...extra,
});
const post = (url: string, body: unknown, signal?: AbortSignal) =>
  fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), signal });

describe('neuron inference', () => {
  let neuron: NeuronHandle;
  let url: string;

  beforeAll(async () => {
    neuron = await startNeuron(
      'devices = ["cpu"]\n[admission]\nmax_in_flight = 4\nmax_queue_depth = 1\nmax_wait_s = 30\n[[preload]]\nid = "tiny"\nsource = "tiny.gguf"\ncontext_size = 1024\n',
    );
    url = neuron.url;
    await neuron.waitStatus('tiny', 'loaded');
  });
  afterAll(() => neuron?.close());

  it('answers a chat completion with exact token counts and the same text for the same seed', async () => {
    const a = await json<{
      choices: Array<{ message: { content: string }; finish_reason: string }>;
      usage: Record<string, number>;
    }>(`${url}/v1/chat/completions`, chat({ max_tokens: 20, seed: 7, temperature: 0.8 }));
    const b = await json<typeof a.body>(
      `${url}/v1/chat/completions`,
      chat({ max_tokens: 20, seed: 7, temperature: 0.8 }),
    );
    expect(a.status).toBe(200);
    expect(a.body).toMatchObject({
      object: 'chat.completion',
      model: 'tiny',
      choices: [{ index: 0, finish_reason: 'length' }],
    });
    expect(a.body.usage.completion_tokens).toBe(20);
    expect(a.body.usage.total_tokens).toBe(a.body.usage.prompt_tokens + 20);
    expect(b.body.choices[0]!.message.content).toBe(a.body.choices[0]!.message.content);
  });

  it('streams a role chunk, content chunks, a finish chunk, a usage chunk and [DONE]', async () => {
    const res = await post(`${url}/v1/chat/completions`, chat({ max_tokens: 10, stream: true }));
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const { data } = await readSse(res);
    const chunks = data.slice(0, -1) as Array<{
      choices: Array<{ delta: Record<string, unknown>; finish_reason: string | null }>;
      usage?: Record<string, number>;
    }>;
    expect(chunks[0]!.choices[0]!.delta).toEqual({ role: 'assistant', content: '' });
    const finish = chunks.find((c) => c.choices[0]?.finish_reason);
    expect(finish?.choices[0]).toMatchObject({ delta: {}, finish_reason: 'length' });
    expect(chunks.at(-1)).toMatchObject({ choices: [], usage: { completion_tokens: 10 } });
    expect(data.at(-1)).toBe('[DONE]');
    const text = chunks.map((c) => c.choices[0]?.delta.content ?? '').join('');
    expect(text.length).toBeGreaterThan(0);
  });

  it.each([
    [{ n: 2 }, 'n', /n: expected 1/],
    [{ logprobs: true }, 'logprobs', /logprobs: expected false/],
    [{ top_logprobs: 3 }, 'top_logprobs', /top_logprobs: expected nothing/],
  ])('refuses %j with a 400 that names the field (never ignores it)', async (extra, param, message) => {
    const r = await json<{ error: { param: string; message: string; code: string } }>(`${url}/v1/chat/completions`, {
      model: 'tiny',
      max_tokens: 2,
      messages: [{ role: 'user', content: 'x' }],
      ...extra,
    });
    expect(r.status).toBe(400);
    expect(r.body.error).toMatchObject({ param, code: 'invalid_body' });
    expect(r.body.error.message).toMatch(message);
  });

  it('refuses response_format JSON together with tools (one grammar or the other), unless tool_choice is none', async () => {
    const body = {
      model: 'tiny',
      max_tokens: 2,
      response_format: { type: 'json_object' },
      tools: [{ type: 'function', function: { name: 'f', parameters: { type: 'object', properties: {} } } }],
      messages: [{ role: 'user', content: 'x' }],
    };
    const r = await json<{ error: { param: string; message: string } }>(`${url}/v1/chat/completions`, body);
    expect(r.status).toBe(400);
    expect(r.body.error).toMatchObject({ param: 'response_format' });
    expect(r.body.error.message).toMatch(/cannot be combined with tools/);
    expect((await json(`${url}/v1/chat/completions`, { ...body, tool_choice: 'none' })).status).toBe(200);
  });

  it('accepts n: 1, logprobs: false and parallel_tool_calls', async () => {
    const r = await json(`${url}/v1/chat/completions`, {
      model: 'tiny',
      max_tokens: 2,
      n: 1,
      logprobs: false,
      parallel_tool_calls: false,
      tools: [{ type: 'function', function: { name: 'f', parameters: { type: 'object', properties: {} } } }],
      messages: [{ role: 'user', content: 'x' }],
    });
    expect(r.status).toBe(200);
  });

  it('serves /v1/completions, /v1/embeddings and /v1/tokenize', async () => {
    const c = await json(`${url}/v1/completions`, { model: 'tiny', prompt: 'Once upon a time', max_tokens: 5 });
    expect(c.body).toMatchObject({
      object: 'text_completion',
      choices: [{ finish_reason: 'length' }],
      usage: { completion_tokens: 5 },
    });
    const e = await json<{ data: Array<{ embedding: number[] }> }>(`${url}/v1/embeddings`, {
      model: 'tiny',
      input: ['a', 'b'],
    });
    expect(e.body.data).toHaveLength(2);
    expect(e.body.data[0]!.embedding.length).toBe(64);
    const t = await json<{ count: number }>(`${url}/v1/tokenize`, {
      model: 'tiny',
      messages: [{ role: 'user', content: 'Tell me something.' }],
    });
    const real = await json<{ usage: { prompt_tokens: number } }>(
      `${url}/v1/chat/completions`,
      chat({ max_tokens: 1 }),
    );
    expect(t.body.count).toBe(real.body.usage.prompt_tokens);
    const withTools = await json<{ count: number }>(`${url}/v1/tokenize`, {
      model: 'tiny',
      messages: [{ role: 'user', content: 'Tell me something.' }],
      tools: [
        {
          type: 'function',
          function: {
            name: 'read_file',
            description: 'Read a file',
            parameters: { type: 'object', properties: { path: { type: 'string' } } },
          },
        },
      ],
    });
    expect(withTools.body.count).toBeGreaterThan(t.body.count);
  });

  it('honours stop strings and JSON schema response formats', async () => {
    const stopped = await json<{ choices: Array<{ finish_reason: string; stop_reason?: string }> }>(
      `${url}/v1/completions`,
      { model: 'tiny', prompt: 'x', max_tokens: 400, stop: ['a', 'e', 'o'], temperature: 1, seed: 3 },
    );
    expect(stopped.body.choices[0]!.finish_reason).toBe('stop');
    const schema = { type: 'object', properties: { n: { type: 'number' } }, required: ['n'] };
    const j = await json<{ choices: Array<{ message: { content: string } }> }>(
      `${url}/v1/chat/completions`,
      chat({ max_tokens: 60, response_format: { type: 'json_schema', json_schema: { name: 'x', schema } } }),
    );
    expect(JSON.parse(j.body.choices[0]!.message.content)).toHaveProperty('n');
  });

  it('clamps max_tokens to the context left (finish_reason length) and refuses only prompts that alone overflow', async () => {
    const big = await json<{ choices: Array<{ finish_reason: string }>; usage: Record<string, number> }>(
      `${url}/v1/chat/completions`,
      chat({ max_tokens: 32000 }),
    );
    expect(big.status).toBe(200);
    expect(big.body.choices[0]!.finish_reason).toBe('length');
    expect(big.body.usage.total_tokens).toBe(1024);
    const overflow = await json(
      `${url}/v1/chat/completions`,
      chat({ messages: [{ role: 'user', content: 'y '.repeat(1200) }] }),
    );
    expect(overflow.status).toBe(400);
    expect(overflow.body).toMatchObject({ error: { code: 'context_length_exceeded', type: 'invalid_request_error' } });
    expect(JSON.stringify(overflow.body)).toMatch(/maximum context length is 1024 tokens.*resulted in \d+ tokens/);
  });

  it('runs 4 streams at once on max_in_flight=4, queues one, and refuses the overflow with 429 + Retry-After', async () => {
    const streams = Array.from({ length: 4 }, () =>
      post(`${url}/v1/chat/completions`, chat({ max_tokens: 300, stream: true })),
    );
    const responses = await Promise.all(streams);
    await until(async () => (await neuron.health()).models[0]!.in_flight === 4);
    // counting tokens needs no sequence, so it works while every seat is generating
    const counted = await json(`${url}/v1/tokenize`, { model: 'tiny', messages: [{ role: 'user', content: 'x' }] });
    expect(counted.status).toBe(200);
    const queued = post(`${url}/v1/chat/completions`, chat({ max_tokens: 2 }));
    await until(async () => (await neuron.health()).models[0]!.queue_depth === 1);
    const refused = await json(`${url}/v1/chat/completions`, chat({ max_tokens: 2 }));
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(refused.body).toMatchObject({ error: { type: 'rate_limit_error', code: 'rate_limit_exceeded' } });
    const done = await Promise.all(responses.map((r) => readSse(r)));
    for (const { data } of done) {
      expect(data.at(-1)).toBe('[DONE]');
      expect(data.at(-2)).toMatchObject({ usage: { completion_tokens: 300 } });
    }
    expect((await queued).status).toBe(200);
  });

  it('aborts the generation when the client disconnects: in_flight returns to 0', async () => {
    const ac = new AbortController();
    const res = await post(`${url}/v1/chat/completions`, chat({ stream: true }), ac.signal);
    let seen = 0;
    await readSse(res, () => {
      if (++seen === 5) ac.abort();
    }).catch(() => undefined);
    const h = await until(
      async () => {
        const health = await neuron.health();
        return health.models[0]!.in_flight === 0 && health;
      },
      3000,
      20,
    );
    expect(h.models[0]!.in_flight).toBe(0);
    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics).toMatch(/neuron_request_failures_total\{device="cpu",reason="aborted"\} [1-9]/);
  });

  it.each([
    [{ messages: [{ role: 'user', content: 'x' }] }, 'model'],
    [{ model: 'tiny' }, 'messages'],
    [{ model: 'tiny', messages: 'hi' }, 'messages'],
    [{ model: 'tiny', messages: [{ role: 'bot', content: 'x' }] }, 'messages[0].role'],
    [{ model: 'tiny', messages: [{ role: 'user', content: 5 }] }, 'messages[0].content'],
    [{ ...chat(), temperature: 3 }, 'temperature'],
    [{ ...chat(), max_tokens: 0 }, 'max_tokens'],
    [{ ...chat(), stop: [1] }, 'stop'],
    [{ ...chat(), tools: [{ function: {} }] }, 'tools'],
    [{ ...chat(), response_format: { type: 'xml' } }, 'response_format'],
    [{ model: 'tiny', messages: [{ role: 'tool', content: 'x' }] }, 'messages[0].tool_call_id'],
    [
      { model: 'tiny', messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'data:x' } }] }] },
      'messages[0].content[0]',
    ],
  ])('answers a malformed body %j with 400 naming %s', async (body, param) => {
    const r = await json(`${url}/v1/chat/completions`, body);
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ error: { type: 'invalid_request_error', param } });
    expect((r.body as { error: { message: string } }).error.message).toContain(param);
  });

  it('answers invalid JSON with 400 in the OpenAI envelope and tolerates unknown fields', async () => {
    const res = await fetch(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{oops',
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { type: 'invalid_request_error', param: 'body' } });
    const extra = await json(
      `${url}/v1/chat/completions`,
      chat({ max_tokens: 1, logit_bias: {}, user: 'u', store: false, chat_template_kwargs: {} }),
    );
    expect(extra.status).toBe(200);
  });

  it('exports metrics after traffic', async () => {
    const text = await (await fetch(`${url}/metrics`)).text();
    for (const name of [
      'neuron_tokens_total',
      'neuron_time_to_first_token_seconds_bucket',
      'neuron_decode_tokens_per_second_bucket',
      'neuron_in_flight',
      'neuron_queue_depth',
      'neuron_vram_total_mb',
      'neuron_admission_rejections_total',
    ]) {
      expect(text).toContain(name);
    }
    expect(text).toMatch(/neuron_tokens_total\{model="tiny",kind="completion"\} \d+/);
  });
});
