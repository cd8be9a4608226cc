import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GatewayHandle, startGateway } from './helpers/gateway';
import { type NeuronHandle, startNeuron } from './helpers/neuron';
import { CLI, json, readSse, until, writeToml } from './helpers/processes';
import { WEATHER_ANSWERS, WEATHER_CALL, WEATHER_THOUGHT, WEATHER_THOUGHT_TEXT } from './helpers/weather-script';

// The OpenAI Responses API end to end: the official openai SDK and replayed Codex requests against a
// real gateway and a real neuron, on generated models that think, call tools and answer (real
// llama.cpp decoding, node-llama-cpp's parsing), and a random-weights one that never stops.

const CODEX = JSON.parse(readFileSync(resolve(__dirname, 'fixtures/clients/codex-0.169.0-responses.json'), 'utf8')) as {
  headers: Record<string, string>;
  body: Record<string, unknown>;
};
const WEATHER = {
  type: 'function' as const,
  name: 'get_weather',
  description: 'the weather now',
  strict: false,
  parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
};
const ASK = 'What is the weather in Paris?';

type Ev = { type: string; sequence_number: number; [k: string]: unknown };

/** Ids and timestamps differ between two responses; everything else must not. */
function normalise(r: unknown): unknown {
  return JSON.parse(
    JSON.stringify(r)
      .replace(/"(resp|msg|fc|rs)_[0-9a-f]{32}(_\d+)?"/g, '"$1_X$2"')
      .replace(/"created_at":\d+/g, '"created_at":0')
      // the neuron numbers its calls per request
      .replace(/"call_id":"[^"]+"/g, '"call_id":"X"')
      // the second request reuses the first one's prompt from the KV cache
      .replace(/"cached_tokens":\d+/g, '"cached_tokens":0'),
    // conveniences the SDK adds on one path only (output_text on create, parsed fields on stream)
    (k, v) => (['parsed', 'parsed_arguments', 'output_parsed', 'output_text'].includes(k) ? undefined : v),
  );
}

async function postSse(url: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toContain('text/event-stream');
  return (await readSse(res)).data as Ev[];
}

describe('OpenAI Responses API (openai SDK and Codex requests, real neuron)', () => {
  let neuron: NeuronHandle;
  let gw: GatewayHandle;
  let openai: OpenAI;

  beforeAll(async () => {
    neuron = await startNeuron('devices = ["cpu"]\n', { models: ['chat.gguf'] });
    const make = (name: string, script: unknown) => {
      const file = writeToml(join(neuron.dir, `${name}.json`), JSON.stringify(script));
      const out = join(neuron.modelsDir, `${name}.gguf`);
      const made = spawnSync(process.execPath, [CLI, 'make-model', '--script', file, '--out', out], {
        encoding: 'utf8',
      });
      expect(made.status, made.stderr).toBe(0);
    };
    make('weather', [...WEATHER_THOUGHT, ...WEATHER_CALL]);
    make('answers', WEATHER_ANSWERS);
    gw = await startGateway({
      neurons: [{ name: 'n', url: neuron.url }],
      models:
        '[[models]]\nid = "weather"\nsource = "weather.gguf"\ncontext_size = 4096\n' +
        '[[models]]\nid = "answers"\nsource = "answers.gguf"\ncontext_size = 16384\n' +
        '[[models]]\nid = "chat"\nsource = "chat.gguf"\ncontext_size = 2048\n',
    });
    openai = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: 'x', maxRetries: 0 });
  });
  afterAll(async () => {
    await gw?.close();
    await neuron?.close();
  });

  it('responses.create: a message item with output_text, usage, and the stored copy by id', async () => {
    const r = await openai.responses.create({ model: 'answers', input: ASK, metadata: { team: 'infra' } });
    expect(r).toMatchObject({ object: 'response', status: 'completed', model: 'answers', metadata: { team: 'infra' } });
    expect(r.output_text).toBe('It is sunny in Paris.');
    expect(r.output).toEqual([
      expect.objectContaining({
        type: 'message',
        role: 'assistant',
        content: [expect.objectContaining({ type: 'output_text' })],
      }),
    ]);
    expect(r.usage!.input_tokens).toBeGreaterThan(5);
    expect(r.usage!.output_tokens).toBeGreaterThan(0);
    expect(r.usage!.total_tokens).toBe(r.usage!.input_tokens + r.usage!.output_tokens);
    expect(r.usage!.output_tokens_details.reasoning_tokens).toBe(0);

    expect(await openai.responses.retrieve(r.id)).toEqual(r);
    const items = await openai.responses.inputItems.list(r.id);
    expect(items.data).toEqual([expect.objectContaining({ type: 'message', role: 'user' })]);
    await openai.responses.delete(r.id);
    await expect(openai.responses.retrieve(r.id)).rejects.toBeInstanceOf(OpenAI.NotFoundError);
  });

  it('streams the full event sequence in order, and stream().finalResponse() equals the non-streamed response', async () => {
    const ask = { model: 'weather', input: ASK, tools: [WEATHER], seed: 3, reasoning: { summary: 'auto' as const } };
    const whole = await openai.responses.create(ask as never);
    const events: Ev[] = [];
    const stream = openai.responses.stream(ask as never);
    stream.on('event', (e) => events.push(e as unknown as Ev));
    const final = await stream.finalResponse();
    expect(normalise(final)).toEqual(normalise(whole));

    expect(whole.output.map((o) => o.type)).toEqual(['reasoning', 'function_call']);
    const reasoning = whole.output[0] as { summary: Array<{ text: string }> };
    expect(reasoning.summary[0]!.text.trim()).toBe(WEATHER_THOUGHT_TEXT);
    expect(whole.output[1]).toMatchObject({ type: 'function_call', name: 'get_weather', status: 'completed' });
    expect(JSON.parse((whole.output[1] as { arguments: string }).arguments)).toEqual({ city: 'Paris' });
    expect(whole.usage!.output_tokens_details.reasoning_tokens).toBeGreaterThan(0);

    expect(events.map((e) => e.sequence_number)).toEqual(events.map((_, i) => i));
    const types = [...new Set(events.map((e) => e.type))];
    expect(types).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.reasoning_summary_part.added',
      'response.reasoning_summary_text.delta',
      'response.reasoning_summary_text.done',
      'response.reasoning_summary_part.done',
      'response.output_item.done',
      'response.function_call_arguments.delta',
      'response.function_call_arguments.done',
      'response.completed',
    ]);
    // The arguments streamed in more than one fragment, as the model generated them.
    expect(events.filter((e) => e.type === 'response.function_call_arguments.delta').length).toBeGreaterThan(1);
  });

  it('function calling over two turns: full history, then the same through previous_response_id', async () => {
    const first = await openai.responses.create({
      model: 'answers',
      input: ASK,
      tools: [WEATHER],
      tool_choice: 'required',
    });
    const call = first.output.find((o) => o.type === 'function_call')!;
    expect(call).toMatchObject({ name: 'get_weather' });
    expect(JSON.parse(call.arguments)).toEqual({ city: 'Paris' });
    const result = { type: 'function_call_output' as const, call_id: call.call_id, output: '{"sky":"sunny"}' };

    const full = await openai.responses.create({
      model: 'answers',
      input: [{ role: 'user', content: ASK }, ...(first.output as never[]), result],
      tools: [WEATHER],
    });
    expect(full.output_text).toBe('It is sunny in Paris.');
    expect(full.usage!.input_tokens).toBeGreaterThan(first.usage!.input_tokens);

    const chained = await openai.responses.create({
      model: 'answers',
      previous_response_id: first.id,
      input: [result],
      tools: [WEATHER],
    });
    expect(chained.output_text).toBe('It is sunny in Paris.');
    expect(chained.previous_response_id).toBe(first.id);
    expect(chained.usage!.input_tokens).toBe(full.usage!.input_tokens);
  });

  it('a namespace tool call comes back under its namespace, and goes back as history', async () => {
    const tools = [{ type: 'namespace', name: 'weather_v1', description: 'weather tools', tools: [WEATHER] }];
    const r = await json<{ output: Array<Record<string, unknown>> }>(`${gw.url}/v1/responses`, {
      model: 'answers',
      input: ASK,
      tools,
      tool_choice: { type: 'function', namespace: 'weather_v1', name: 'get_weather' },
    });
    expect(r.status).toBe(200);
    const call = r.body.output.find((o) => o.type === 'function_call')!;
    expect(call).toMatchObject({ name: 'get_weather', namespace: 'weather_v1' });
    const next = await json<{ output_text?: string; output: Array<{ content?: Array<{ text: string }> }> }>(
      `${gw.url}/v1/responses`,
      {
        model: 'answers',
        input: [
          { role: 'user', content: ASK },
          call,
          { type: 'function_call_output', call_id: call.call_id, output: 'sunny' },
        ],
        tools,
      },
    );
    expect(next.status).toBe(200);
    expect(next.body.output[0]!.content![0]!.text).toBe('It is sunny in Paris.');
  });

  it('replays Codex 0.169’s first turn as recorded (headers, 12 tools with a namespace and web_search, store false)', async () => {
    const { 'content-length': _len, ...headers } = CODEX.headers;
    const events = await postSse(`${gw.url}/v1/responses`, { ...CODEX.body, model: 'answers' }, headers);
    expect(events[0]!.type).toBe('response.created');
    const done = events.at(-1)!;
    expect(done.type).toBe('response.completed');
    const response = done.response as {
      store: boolean;
      output: Array<{ type: string }>;
      tools: Array<{ type: string }>;
    };
    expect(response.store).toBe(false);
    expect(response.output.map((o) => o.type)).toEqual(['message']);
    expect(response.tools.map((t) => t.type)).not.toContain('web_search');
    const text = events
      .filter((e) => e.type === 'response.output_text.delta')
      .map((e) => e.delta)
      .join('');
    expect(text).toBe('It is sunny in Paris.');
    expect(gw.output()).toMatch(/dropped tools this fleet cannot run: tools\[8\]:web_search/);
    // store: false — nothing to fetch afterwards.
    const got = await json(`${gw.url}/v1/responses/${(done.response as { id: string }).id}`);
    expect(got.status).toBe(404);
  });

  it('replays a Codex second turn: reasoning (sealed), function_call and function_call_output items', async () => {
    const first = await postSse(`${gw.url}/v1/responses`, {
      ...CODEX.body,
      model: 'weather',
      // One tool: the scripted model's call names whichever function node-llama-cpp's grammar allows.
      tools: [WEATHER],
    });
    const output = (first.at(-1)!.response as { output: Array<Record<string, unknown>> }).output;
    expect(output.map((o) => o.type)).toEqual(['reasoning', 'function_call']);
    expect(output[0]!.encrypted_content).toMatch(/^cortex:v1:/);
    const call = output[1]!;
    const second = await postSse(`${gw.url}/v1/responses`, {
      ...CODEX.body,
      model: 'answers',
      input: [
        ...(CODEX.body.input as unknown[]),
        ...output,
        { type: 'function_call_output', call_id: call.call_id, output: 'a.txt' },
      ],
    });
    expect(second.at(-1)!.type).toBe('response.completed');
  });

  it('a stream cut by max_output_tokens ends with response.incomplete', async () => {
    const events = await postSse(`${gw.url}/v1/responses`, {
      model: 'chat',
      input: 'go',
      max_output_tokens: 3,
      stream: true,
    });
    const last = events.at(-1)!;
    expect(last.type).toBe('response.incomplete');
    expect(last.response).toMatchObject({ status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' } });
  });

  it('answers refusals and unknown ids in the OpenAI envelope', async () => {
    const forced = await json(`${gw.url}/v1/responses`, {
      model: 'answers',
      input: 'x',
      tools: [{ type: 'web_search' }],
      tool_choice: { type: 'web_search' },
    });
    expect(forced).toMatchObject({
      status: 400,
      body: { error: { param: 'tool_choice', code: 'unsupported_feature' } },
    });
    expect((forced.body as { error: { message: string } }).error.message).toContain('"web_search"');
    const prev = await json(`${gw.url}/v1/responses`, {
      model: 'answers',
      input: 'x',
      previous_response_id: 'resp_nope',
    });
    expect(prev).toMatchObject({ status: 404, body: { error: { param: 'previous_response_id', code: 'not_found' } } });
    const unknown = await json(`${gw.url}/v1/responses/resp_nope/cancel`, {});
    expect(unknown.status).toBe(404);
    expect(unknown.body).toMatchObject({ error: { code: 'not_found', type: expect.any(String) } });
    expect((unknown.body as { error: { param?: string } }).error.param ?? null).toBeNull();
  });

  it('a client disconnect stops the neuron’s generation, and the requests count under api="responses"', async () => {
    const ac = new AbortController();
    const res = await fetch(`${gw.url}/v1/responses`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'chat', stream: true, input: 'go on forever' }),
      signal: ac.signal,
    });
    let n = 0;
    await readSse(res, () => ++n === 8 && ac.abort()).catch(() => undefined);
    await until(
      async () => ((await neuron.health()).models.find((m) => m.id === 'chat')?.in_flight === 0 ? true : undefined),
      5000,
      20,
    );
    expect(await gw.metrics()).toMatch(/cortex_requests_total\{model="answers",node="n",api="responses"\} \d+/);
  });
});
