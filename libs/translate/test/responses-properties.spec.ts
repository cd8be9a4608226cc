import Ajv from 'ajv';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type OpenAIChatChunk, ResponsesStreamTranslator, type ResponseStreamEvent, responsesToOpenAI } from '../src';
import { openAIRequestSchema } from './chat-schema';
import { chunkArb } from './chunk-arbitrary';

// Property tests of the Responses translators: any valid Responses request yields a schema-valid chat
// request, and any chunk sequence a well-formed Responses event sequence.

const text = fc.string({ maxLength: 12 });
const callId = fc.constantFrom('call_a', 'call_b', 'call_c');
const inputText = text.map((t) => ({ type: 'input_text', text: t }));
const image = fc.oneof(
  fc.webUrl(),
  fc.base64String().map((b) => `data:image/png;base64,${b}`),
);
const inputImage = image.map((url) => ({ type: 'input_image', image_url: url }));
const fnName = fc.constantFrom('exec_command', 'read', 'spawn_agent');
const namespace = fc.option(fc.constant('multi_agent_v1'), { nil: undefined });

const user = fc.record({
  type: fc.constantFrom('message', undefined),
  role: fc.constant('user'),
  content: fc.oneof(text, fc.array(fc.oneof(inputText, inputImage), { minLength: 1, maxLength: 3 })),
});
const developer = fc.record({
  role: fc.constantFrom('developer', 'system'),
  content: fc.oneof(text, fc.array(inputText, { minLength: 1, maxLength: 2 })),
});
const assistant = fc.record({
  type: fc.constant('message'),
  role: fc.constant('assistant'),
  content: fc.array(
    text.map((t) => ({ type: 'output_text', text: t, annotations: [] })),
    { minLength: 1, maxLength: 2 },
  ),
});
const call = fc.record(
  {
    type: fc.constant('function_call'),
    call_id: callId,
    name: fnName,
    namespace,
    arguments: fc.jsonValue().map((v) => JSON.stringify({ v })),
  },
  { requiredKeys: ['type', 'call_id', 'name', 'arguments'] },
);
const output = fc.record({
  type: fc.constant('function_call_output'),
  call_id: callId,
  output: fc.oneof(text, fc.array(fc.oneof(inputText, inputImage), { minLength: 1, maxLength: 2 })),
});
const reasoning = fc.record({
  type: fc.constant('reasoning'),
  summary: fc.array(
    text.map((t) => ({ type: 'summary_text', text: t })),
    { maxLength: 2 },
  ),
});
const item = fc.oneof(user, developer, assistant, call, output, reasoning);
const params = { type: 'object', properties: { a: { type: 'string' } } };
const tool = fc.oneof(
  fnName.map((name) => ({ type: 'function', name, parameters: params })),
  fc.constant({
    type: 'namespace',
    name: 'multi_agent_v1',
    description: 'agents',
    tools: [{ type: 'function', name: 'spawn_agent', parameters: params }],
  }),
  fc.constantFrom({ type: 'web_search' }, { type: 'file_search' }, { type: 'code_interpreter' }),
);
const request = fc.record(
  {
    model: fc.string({ minLength: 1, maxLength: 10 }),
    instructions: text,
    input: fc.oneof(
      text,
      fc.tuple(user, fc.array(item, { maxLength: 8 })).map(([first, rest]) => [first, ...rest]),
    ),
    tools: fc.uniqueArray(tool, { maxLength: 4, selector: (t) => JSON.stringify(t) }),
    tool_choice: fc.constantFrom('auto', 'none'),
    parallel_tool_calls: fc.boolean(),
    max_output_tokens: fc.integer({ min: 1, max: 32000 }),
    temperature: fc.double({ min: 0, max: 2, noNaN: true }),
    top_p: fc.double({ min: 0, max: 1, noNaN: true }),
    stream: fc.boolean(),
    store: fc.boolean(),
    text: fc.constantFrom(
      { format: { type: 'text' } },
      { format: { type: 'json_object' } },
      { format: { type: 'json_schema', name: 'a', schema: params } },
    ),
    reasoning: fc.record({
      effort: fc.constantFrom('minimal', 'low', 'medium', 'high', 'xhigh'),
      summary: fc.constant('auto'),
    }),
    metadata: fc.dictionary(fc.string({ minLength: 1, maxLength: 8 }), text, { maxKeys: 4 }),
    user: fc.string({ minLength: 1, maxLength: 8 }),
    include: fc.constant(['reasoning.encrypted_content']),
    prompt_cache_key: fc.uuid(),
  },
  { requiredKeys: ['model', 'input'] },
);

describe('responsesToOpenAI (property)', () => {
  const validate = new Ajv({ strict: false }).compile(openAIRequestSchema);

  it('turns any valid Responses request into a schema-valid chat request with unique, mapped tool names', () => {
    fc.assert(
      fc.property(request, (req) => {
        const { request: out, names } = responsesToOpenAI(req);
        if (!validate(out)) throw new Error(JSON.stringify(validate.errors));
        const toolNames = (out.tools ?? []).map((t) => t.function.name);
        expect(new Set(toolNames).size).toBe(toolNames.length);
        for (const n of toolNames) expect(n).toMatch(/^[a-zA-Z0-9_-]+$/);
        out.messages.forEach((m, i) => {
          if (i > 0 && m.role === 'system') expect(out.messages[i - 1]!.role).not.toBe('system');
          if (m.role === 'assistant') {
            for (const c of m.tool_calls ?? []) {
              const client = names.toClient(c.function.name);
              expect(names.toChat(client.name, client.namespace)).toBe(c.function.name);
            }
          }
        });
      }),
      { numRuns: 300 },
    );
  });
});

const ctx = () => {
  const t = responsesToOpenAI({
    model: 'm',
    input: 'x',
    tools: [{ type: 'namespace', name: 'ns', tools: [{ type: 'function', name: 'bash' }] }],
  });
  return { id: 'resp_p', createdAt: 1, model: 'm', echo: t.echo, names: t.names, sealReasoning: true };
};

function feed(items: unknown[], liveTools = true): ResponseStreamEvent[] {
  const sut = new ResponsesStreamTranslator(ctx(), { liveTools });
  const events: ResponseStreamEvent[] = [];
  for (const it of items) {
    if (it === '[DONE]' || it === 'eof') events.push(...sut.end());
    else if (it === 'ping') continue;
    else if (it === 'error') events.push(...sut.fail('upstream_stream_error', 'boom'));
    else events.push(...sut.push(it as OpenAIChatChunk));
  }
  events.push(...sut.end());
  return events;
}

const TERMINAL = new Set(['response.completed', 'response.incomplete', 'response.failed']);
const DELTA_OF: Record<string, string> = {
  'response.output_text.delta': 'message',
  'response.reasoning_summary_text.delta': 'reasoning',
  'response.function_call_arguments.delta': 'function_call',
};

function assertWellFormed(events: ResponseStreamEvent[]): void {
  events.forEach((e, i) => expect(e.sequence_number).toBe(i));
  expect(events[0]!.type).toBe('response.created');
  expect(events[1]!.type).toBe('response.in_progress');
  const terminals = events.filter((e) => TERMINAL.has(e.type));
  expect(terminals).toHaveLength(1);
  expect(terminals[0]).toBe(events[events.length - 1]);
  type Open = { index: number; id: string; type: string; text: string };
  let open: Open | null = null;
  const done: unknown[] = [];
  for (const e of events.slice(2, -1)) {
    if (e.type === 'response.output_item.added') {
      expect(open).toBeNull();
      const item = e.item as { id: string; type: string };
      expect(e.output_index).toBe(done.length);
      open = { index: e.output_index as number, id: item.id, type: item.type, text: '' };
    } else if (e.type === 'response.output_item.done') {
      expect(open).not.toBeNull();
      expect(e.output_index).toBe(open!.index);
      const item = e.item as {
        type: string;
        arguments?: string;
        content?: Array<{ text: string }>;
        summary?: Array<{ text: string }>;
      };
      const whole = item.arguments ?? item.content?.[0]?.text ?? item.summary?.[0]?.text ?? '';
      expect(whole).toBe(open!.text);
      done.push(e.item);
      open = null;
    } else if (DELTA_OF[e.type]) {
      expect(open?.type).toBe(DELTA_OF[e.type]);
      expect(e.item_id).toBe(open!.id);
      open!.text += e.delta as string;
    } else if ('item_id' in e) expect(e.item_id).toBe(open?.id);
  }
  const last = events[events.length - 1]!;
  const response = last.response as { status: string; output: unknown[] };
  if (last.type === 'response.failed') {
    expect(response.output.slice(0, done.length)).toEqual(done);
    expect(response.output.length - done.length).toBe(open ? 1 : 0);
  } else {
    expect(open).toBeNull();
    expect(response.output).toEqual(done);
    expect(response.status).toBe(last.type === 'response.incomplete' ? 'incomplete' : 'completed');
  }
}

describe('ResponsesStreamTranslator (property)', () => {
  it('emits a well-formed event sequence for any chunk sequence', () => {
    fc.assert(
      fc.property(fc.array(chunkArb, { maxLength: 25 }), (items) => assertWellFormed(feed(items))),
      { numRuns: 500 },
    );
  });

  it('emits a well-formed event sequence with calls gathered whole (interleaving upstreams)', () => {
    fc.assert(
      fc.property(fc.array(chunkArb, { maxLength: 25 }), (items) => assertWellFormed(feed(items, false))),
      { numRuns: 500 },
    );
  });
});
