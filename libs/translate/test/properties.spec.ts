import Ajv from 'ajv';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AnthropicStreamTranslator, anthropicToOpenAI } from '../src';
import { openAIRequestSchema } from './chat-schema';
import { chunkArb } from './chunk-arbitrary';
import type { AnthropicStreamEvent, OpenAIChatChunk } from '../src';

// Property tests: any valid Anthropic request yields a schema-valid OpenAI request, and any sequence
// of OpenAI chunks yields a well-formed Anthropic event stream.

const text = fc.string({ maxLength: 20 });
const id = fc.stringMatching(/^toolu_[a-z0-9]{1,8}$/);
const textBlock = text.map((t) => ({ type: 'text', text: t }));
const image = fc.oneof(
  fc.record({ type: fc.constant('base64'), media_type: fc.constant('image/png'), data: fc.base64String() }),
  fc.record({ type: fc.constant('url'), url: fc.webUrl() }),
);
const imageBlock = image.map((source) => ({ type: 'image', source }));
const thinking = fc.constantFrom(
  { type: 'thinking', thinking: 'x', signature: 's' },
  { type: 'redacted_thinking', data: 'd' },
);
const toolUse = fc.record({
  type: fc.constant('tool_use'),
  id,
  name: fc.constantFrom('bash', 'read'),
  input: fc.jsonValue(),
});
const toolResult = fc.record({
  type: fc.constant('tool_result'),
  tool_use_id: id,
  content: fc.oneof(text, fc.array(fc.oneof(textBlock, imageBlock), { maxLength: 3 })),
  is_error: fc.option(fc.boolean(), { nil: undefined }),
});
const userMsg = fc.record({
  role: fc.constant('user'),
  content: fc.oneof(text, fc.array(fc.oneof(textBlock, imageBlock, toolResult), { minLength: 1, maxLength: 4 })),
});
const assistantMsg = fc.record({
  role: fc.constant('assistant'),
  content: fc.oneof(text, fc.array(fc.oneof(textBlock, toolUse, thinking), { minLength: 1, maxLength: 4 })),
});
const schemaObj = fc.constant({ type: 'object', properties: { a: { type: 'string' } } });
const tool = fc.record({ name: fc.constantFrom('bash', 'read', 'edit'), description: text, input_schema: schemaObj });
const request = fc.record(
  {
    model: fc.string({ minLength: 1, maxLength: 10 }),
    max_tokens: fc.integer({ min: 1, max: 64000 }),
    messages: fc.array(fc.oneof(userMsg, assistantMsg), { minLength: 1, maxLength: 6 }),
    system: fc.oneof(text, fc.array(textBlock, { maxLength: 3 })),
    temperature: fc.double({ min: 0, max: 2, noNaN: true }),
    top_p: fc.double({ min: 0, max: 1, noNaN: true }),
    top_k: fc.integer({ min: 0, max: 100 }),
    stop_sequences: fc.array(text, { maxLength: 3 }),
    stream: fc.boolean(),
    tools: fc.array(tool, { maxLength: 3 }),
    tool_choice: fc.oneof(
      fc.constant({ type: 'auto' }),
      fc.constant({ type: 'any', disable_parallel_tool_use: true }),
      fc.constant({ type: 'none' }),
      fc.constant({ type: 'tool', name: 'bash' }),
    ),
    metadata: fc.record({ user_id: text }),
    thinking: fc.constant({ type: 'adaptive' }),
  },
  { requiredKeys: ['model', 'max_tokens', 'messages'] },
);

describe('anthropicToOpenAI (property)', () => {
  const validate = new Ajv({ strict: false }).compile(openAIRequestSchema);

  it('turns any valid Anthropic request into a schema-valid OpenAI request', () => {
    fc.assert(
      fc.property(request, (req) => {
        const { request: out } = anthropicToOpenAI(req);
        if (!validate(out)) throw new Error(JSON.stringify(validate.errors));
        const systems = out.messages.filter((m) => m.role === 'system');
        expect(systems.length).toBeLessThanOrEqual(1);
        if (systems.length) expect(out.messages[0]!.role).toBe('system');
        expect(JSON.stringify(out.messages)).not.toContain('"signature"');
        for (const m of out.messages)
          if (m.role === 'assistant' && m.tool_calls) m.tool_calls.forEach((c) => JSON.parse(c.function.arguments));
      }),
      { numRuns: 300 },
    );
  });
});

function feed(items: unknown[], liveTools = false): AnthropicStreamEvent[] {
  const sut = new AnthropicStreamTranslator({ model: 'm', liveTools });
  const events: AnthropicStreamEvent[] = [];
  for (const item of items) {
    if (item === '[DONE]' || item === 'eof') events.push(...sut.end());
    else if (item === 'ping') events.push(...sut.ping());
    else if (item === 'error') events.push(...sut.fail('upstream', 'boom'));
    else events.push(...sut.push(item as OpenAIChatChunk));
  }
  events.push(...sut.end()); // the upstream always closes eventually
  return events;
}

function assertWellFormed(events: AnthropicStreamEvent[], liveTools = false): void {
  expect(events[0]?.type === 'message_start' || events[0]?.type === 'error').toBe(true);
  const last = events[events.length - 1]!;
  const terminals = events.filter((e) => e.type === 'message_stop' || e.type === 'error');
  expect(terminals).toHaveLength(1);
  expect(terminals[0]).toBe(last);
  let open: number | null = null;
  let next = 0;
  for (const e of events) {
    if (e.type === 'message_start') expect(e).toBe(events[0]);
    if (e.type === 'content_block_start') {
      expect(open).toBeNull();
      expect(e.index).toBe(next);
      open = e.index;
      next++;
    }
    if (e.type === 'content_block_delta') expect(e.index).toBe(open);
    if (e.type === 'content_block_stop') {
      expect(e.index).toBe(open);
      open = null;
    }
    if (e.type === 'message_delta' || e.type === 'message_stop') expect(open).toBeNull();
    // Whole-call mode sends each call's arguments as one parseable delta; live mode sends fragments.
    if (!liveTools && e.type === 'content_block_delta' && e.delta.type === 'input_json_delta')
      JSON.parse(e.delta.partial_json);
  }
}

describe('AnthropicStreamTranslator (property)', () => {
  it('emits a well-formed event stream for any chunk sequence', () => {
    fc.assert(
      fc.property(fc.array(chunkArb, { maxLength: 25 }), (items) => assertWellFormed(feed(items))),
      { numRuns: 500 },
    );
  });

  it('emits a well-formed event stream with live tool calls for any chunk sequence', () => {
    fc.assert(
      fc.property(fc.array(chunkArb, { maxLength: 25 }), (items) => assertWellFormed(feed(items, true), true)),
      { numRuns: 500 },
    );
  });
});
