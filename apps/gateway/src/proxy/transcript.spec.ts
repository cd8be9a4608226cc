import { describe, expect, it } from 'vitest';
import { Diverged, MAX_TRANSCRIPT_CHARS, Transcript } from './transcript';

const chunk = (delta: object, extra: object = {}, id = 'chatcmpl-a') => ({
  id,
  object: 'chat.completion.chunk',
  created: 1,
  model: 'm',
  choices: [{ index: 0, delta, finish_reason: null }],
  ...extra,
});
const call = (index: number, args: string, head?: { id: string; name: string }) => ({
  tool_calls: [
    {
      index,
      ...(head ? { id: head.id, type: 'function' } : {}),
      function: { ...(head ? { name: head.name } : {}), arguments: args },
    },
  ],
});

describe(Transcript.name, () => {
  it('asks for the answer so far as the last message, to go on with', () => {
    const t = new Transcript();
    t.note(chunk({ role: 'assistant', content: '' }));
    t.note(chunk({ reasoning_content: 'Think' }));
    t.note(chunk({ reasoning_content: 'ing.' }));
    t.note(chunk({ content: 'Hel' }));
    const body = { model: 'm', messages: [{ role: 'user', content: 'hi' }], stream: true, max_tokens: 50 };
    expect(t.continuation(body)).toEqual({
      ...body,
      messages: [...body.messages, { role: 'assistant', content: 'Hel', reasoning_content: 'Thinking.' }],
      continue_final_message: true,
    });
  });

  it('makes the continuation read as the same stream: first id, no second role chunk', () => {
    const t = new Transcript();
    t.note(chunk({ role: 'assistant', content: '' }));
    t.note(chunk({ content: 'Hel' }));
    t.continuation({ messages: [] });
    expect(t.splice(chunk({ role: 'assistant', content: '' }, {}, 'chatcmpl-b'))).toBeNull();
    expect(t.splice(chunk({ content: 'lo' }, {}, 'chatcmpl-b'))).toEqual(chunk({ content: 'lo' }));
    const usage = { usage: { prompt_tokens: 3, completion_tokens: 2 } };
    expect(t.splice({ ...chunk({}, usage, 'chatcmpl-b'), choices: [] })).toEqual({ ...chunk({}, usage), choices: [] });
  });

  it('passes on only the tool-call arguments not yet sent, and keeps the call’s head once', () => {
    const t = new Transcript();
    t.note(chunk(call(0, '', { id: 'call_1', name: 'get' })));
    t.note(chunk(call(0, '{"city": ')));
    const cont = t.continuation({ messages: [] });
    expect((cont.messages as unknown[]).at(-1)).toEqual({ role: 'assistant', content: '' });
    expect(t.splice(chunk(call(0, '', { id: 'call_2', name: 'get' }), {}, 'b'))).toBeNull();
    expect(t.splice(chunk(call(0, '{"ci'), {}, 'b'))).toBeNull();
    expect(t.splice(chunk(call(0, 'ty": "Pa'), {}, 'b'))).toEqual(
      chunk({ tool_calls: [{ index: 0, function: { arguments: '"Pa' } }] }),
    );
    expect(t.splice(chunk(call(0, 'ris"}'), {}, 'b'))).toEqual(
      chunk({ tool_calls: [{ index: 0, function: { arguments: 'ris"}' } }] }),
    );
    // A second call the first stream never began passes whole.
    const second = chunk(call(1, '', { id: 'call_b_1', name: 'get' }));
    expect(t.splice(second)).toEqual(second);
  });

  it('refuses a continuation whose arguments differ from those sent', () => {
    const t = new Transcript();
    t.note(chunk(call(0, '{"city": "Pa', { id: 'c', name: 'get' })));
    t.continuation({ messages: [] });
    expect(() => t.splice(chunk(call(0, '{"city": "Lo')))).toThrow(Diverged);
  });

  it('knows an answer whose finish was sent', () => {
    const t = new Transcript();
    t.note(chunk({ content: 'a' }));
    expect(t.finished).toBe(false);
    t.note({ ...chunk({}), choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] });
    expect(t.finished).toBe(true);
  });
});

describe('a transcript’s memory', () => {
  it('lets go of an answer past MAX_TRANSCRIPT_CHARS, which then cannot be resumed', () => {
    const t = new Transcript();
    t.note(chunk({ content: 'x'.repeat(MAX_TRANSCRIPT_CHARS) }));
    expect(t.overflowed).toBe(false);
    t.note(chunk({ content: 'y' }));
    expect(t.overflowed).toBe(true);
    expect((t.continuation({ messages: [] }).messages as unknown[]).at(-1)).toEqual({ role: 'assistant', content: '' });
  });
});
