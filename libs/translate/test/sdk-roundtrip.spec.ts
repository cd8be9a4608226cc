import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AnthropicStreamTranslator,
  anthropicErrorToOpenAI,
  anthropicFrame,
  anthropicToOpenAI,
  openAIErrorToAnthropic,
  openAIToAnthropic,
  openAIToResponse,
  responsesFrame,
  responsesToOpenAI,
  ResponsesStreamTranslator,
} from '../src';
import type { OpenAIChatChunk, OpenAIChatCompletion } from '../src';

// The official SDKs consume what the translator produces, served by a tiny node:http server on
// 127.0.0.1: a streamed reply must finalise to the same message as the non-streamed one.

const completion: OpenAIChatCompletion = {
  id: 'chatcmpl-rt1',
  object: 'chat.completion',
  created: 1,
  model: 'tiny-chat',
  choices: [
    {
      index: 0,
      finish_reason: 'tool_calls',
      message: {
        role: 'assistant',
        content: 'Let me check both files.',
        tool_calls: [
          {
            id: 'call_a',
            type: 'function',
            function: { name: 'read_file', arguments: '{"path":"a.txt","lines":[1,2]}' },
          },
          { id: 'call_b', type: 'function', function: { name: 'bash', arguments: '{"command":"ls -la"}' } },
        ],
      },
    },
  ],
  usage: { prompt_tokens: 42, completion_tokens: 17, total_tokens: 59 },
};

/** The same completion as an OpenAI chunk stream, with text and arguments split awkwardly. */
function chunks(): OpenAIChatChunk[] {
  const base = { id: 'chatcmpl-rt1', object: 'chat.completion.chunk' as const, created: 1, model: 'tiny-chat' };
  const c = (
    delta: OpenAIChatChunk['choices'][0]['delta'],
    finish: OpenAIChatChunk['choices'][0]['finish_reason'] = null,
  ) => ({
    ...base,
    choices: [{ index: 0, delta, finish_reason: finish }],
  });
  return [
    c({ role: 'assistant' }),
    c({ content: 'Let me check ' }),
    c({ content: 'both files.' }),
    c({
      tool_calls: [
        { index: 0, id: 'call_a', type: 'function', function: { name: 'read_file', arguments: '{"path":' } },
      ],
    }),
    c({
      tool_calls: [{ index: 1, id: 'call_b', type: 'function', function: { name: 'bash', arguments: '{"command"' } }],
    }),
    c({ tool_calls: [{ index: 0, function: { arguments: '"a.txt","lines":[1,2]}' } }] }),
    c({ tool_calls: [{ index: 1, function: { arguments: ':"ls -la"}' } }] }),
    c({}, 'tool_calls'),
    { ...base, choices: [], usage: { prompt_tokens: 42, completion_tokens: 17, total_tokens: 59 } },
  ];
}

type Handler = (req: IncomingMessage, body: Record<string, unknown>, res: ServerResponse) => void;
let server: Server;
let baseURL = '';
let handler: Handler = () => undefined;

beforeAll(async () => {
  server = createServer((req, res) => {
    let raw = '';
    req.on('data', (d: Buffer) => (raw += d.toString()));
    req.on('end', () => handler(req, raw ? JSON.parse(raw) : {}, res));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  baseURL = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

const anthropic = () => new Anthropic({ baseURL, apiKey: 'sk-test', maxRetries: 0 });
const expectedMessage = () => openAIToAnthropic(completion, 'tiny-chat').message;
const params = {
  model: 'tiny-chat',
  max_tokens: 1024,
  messages: [{ role: 'user' as const, content: 'look at a.txt and list files' }],
};

describe('@anthropic-ai/sdk against the translator', () => {
  it('messages.create returns the translated message, tool_use inputs included', async () => {
    handler = (_req, body, res) => {
      anthropicToOpenAI(body); // the request must translate
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(expectedMessage()));
    };
    const msg = await anthropic().messages.create(params);
    expect(msg).toEqual(expectedMessage());
    expect(msg.content[1]).toEqual({
      type: 'tool_use',
      id: 'call_a',
      name: 'read_file',
      input: { path: 'a.txt', lines: [1, 2] },
    });
  });

  it('messages.stream().finalMessage() equals the non-streamed message', async () => {
    handler = (_req, body, res) => {
      const { request } = anthropicToOpenAI(body);
      expect(request.stream).toBe(true);
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      const sut = new AnthropicStreamTranslator({ model: 'tiny-chat' });
      for (const e of sut.ping()) res.write(anthropicFrame(e));
      for (const chunk of chunks()) for (const e of sut.push(chunk)) res.write(anthropicFrame(e));
      for (const e of sut.end()) res.write(anthropicFrame(e));
      res.end();
    };
    // Claude Code asks every model for 32000 tokens; the SDK allows that only when streaming.
    const final = await anthropic()
      .messages.stream({ ...params, max_tokens: 32000 })
      .finalMessage();
    const { id: _ignored, ...rest } = expectedMessage();
    expect(final).toMatchObject(rest);
    expect(final.id).toMatch(/^msg_/);
    expect(final.content).toEqual(expectedMessage().content);
    expect(final.usage).toMatchObject({ input_tokens: 42, output_tokens: 17 });
  });

  it('an error event mid-stream makes the SDK throw instead of finishing', async () => {
    handler = (_req, _body, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      const sut = new AnthropicStreamTranslator({ model: 'tiny-chat' });
      for (const e of sut.push(chunks()[1]!)) res.write(anthropicFrame(e));
      for (const e of sut.end()) res.write(anthropicFrame(e)); // EOF before finish_reason
      res.end();
    };
    await expect(anthropic().messages.stream(params).finalMessage()).rejects.toThrow(/ended before the model finished/);
  });

  it.each([
    [
      404,
      {
        error: {
          message: "model 'nope' not found",
          type: 'invalid_request_error',
          param: 'model',
          code: 'model_not_found',
        },
      },
      Anthropic.NotFoundError,
    ],
    [
      429,
      { error: { message: 'queue full', type: 'rate_limit_error', param: null, code: null } },
      Anthropic.RateLimitError,
    ],
    [
      503,
      { error: { message: 'recovering', type: 'api_error', param: null, code: null } },
      Anthropic.InternalServerError,
    ],
    [
      401,
      { error: { message: 'bad key', type: 'invalid_request_error', param: null, code: 'invalid_api_key' } },
      Anthropic.AuthenticationError,
    ],
  ])('maps an OpenAI %i into the SDK error class', async (status, body, cls) => {
    const mapped = openAIErrorToAnthropic(status, body);
    handler = (_req, _b, res) =>
      res.writeHead(mapped.status, { 'content-type': 'application/json' }).end(JSON.stringify(mapped.body));
    const err = await anthropic()
      .messages.create(params)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(cls);
    expect((err as { error: unknown }).error).toEqual(mapped.body);
  });
});

describe('openai SDK against the reverse error mapping', () => {
  const openai = () => new OpenAI({ baseURL: `${baseURL}/v1`, apiKey: 'sk-test', maxRetries: 0 });

  it.each([
    [{ type: 'error', error: { type: 'not_found_error', message: 'no such model' } }, 404, OpenAI.NotFoundError],
    [{ type: 'error', error: { type: 'authentication_error', message: 'bad key' } }, 401, OpenAI.AuthenticationError],
    [{ type: 'error', error: { type: 'rate_limit_error', message: 'slow down' } }, 429, OpenAI.RateLimitError],
    [{ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } }, 529, OpenAI.InternalServerError],
    [
      { type: 'error', error: { type: 'invalid_request_error', message: 'max_tokens: bad' } },
      400,
      OpenAI.BadRequestError,
    ],
  ])('maps %j into the SDK error class', async (body, status, cls) => {
    const mapped = anthropicErrorToOpenAI(status, body);
    handler = (_req, _b, res) =>
      res.writeHead(mapped.status, { 'content-type': 'application/json' }).end(JSON.stringify(mapped.body));
    const err = await openai()
      .chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'x' }] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(cls);
    expect((err as InstanceType<typeof OpenAI.APIError>).message).toContain(body.error.message);
  });
});

describe('openai SDK against the Responses translator', () => {
  const openai = () => new OpenAI({ baseURL: `${baseURL}/v1`, apiKey: 'sk-test', maxRetries: 0 });
  const ask = {
    model: 'tiny-chat',
    input: 'look at a.txt and list files',
    tools: [
      { type: 'function' as const, name: 'read_file', parameters: {}, strict: false },
      { type: 'function' as const, name: 'bash', parameters: {}, strict: false },
    ],
  };
  const ctxOf = (body: unknown) => {
    const t = responsesToOpenAI(body);
    return { id: 'resp_rt', createdAt: 1, model: 'tiny-chat', echo: t.echo, names: t.names, sealReasoning: false };
  };

  it('responses.create and responses.stream().finalResponse() agree, calls and text included', async () => {
    handler = (_req, body, res) => {
      const ctx = ctxOf(body);
      if (body.stream !== true) {
        res
          .writeHead(200, { 'content-type': 'application/json' })
          .end(JSON.stringify(openAIToResponse(completion, ctx)));
        return;
      }
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      // These chunks interleave two calls' fragments, as some upstreams do: calls are gathered whole.
      const sut = new ResponsesStreamTranslator(ctx, { liveTools: false });
      for (const chunk of chunks()) for (const e of sut.push(chunk)) res.write(responsesFrame(e));
      for (const e of sut.end()) res.write(responsesFrame(e));
      res.end();
    };
    const whole = await openai().responses.create(ask);
    expect(whole.output_text).toBe('Let me check both files.');
    expect(whole.output.map((o) => o.type)).toEqual(['message', 'function_call', 'function_call']);
    const final = await openai().responses.stream(ask).finalResponse();
    const strip = (r: object) =>
      JSON.parse(
        JSON.stringify(r, (k, v) =>
          ['parsed', 'parsed_arguments', 'output_parsed', 'output_text'].includes(k) ? undefined : v,
        ),
      );
    expect(strip(final)).toEqual(strip(whole));
  });

  it('a failure mid-stream finalises as a failed response with its error, never a completed one', async () => {
    handler = (_req, body, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      const sut = new ResponsesStreamTranslator(ctxOf(body));
      for (const e of sut.push(chunks()[1]!)) res.write(responsesFrame(e));
      for (const e of sut.fail('upstream_stream_error', 'the neuron went away')) res.write(responsesFrame(e));
      res.end();
    };
    // The SDK keeps its snapshot (in_progress) on response.failed; the failure is in the event.
    const events: Array<{ type: string; response?: unknown }> = [];
    const stream = openai().responses.stream(ask);
    stream.on('event', (e) => events.push(e));
    const final = await stream.finalResponse();
    expect(final.status).not.toBe('completed');
    expect(events.at(-1)).toMatchObject({
      type: 'response.failed',
      response: {
        status: 'failed',
        error: { code: 'upstream_stream_error', message: 'the neuron went away' },
        output: [{ type: 'message', status: 'incomplete', content: [{ text: 'Let me check ' }] }],
      },
    });
  });
});
