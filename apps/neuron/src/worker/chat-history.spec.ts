import { describe, expect, it } from 'vitest';
import { toChatHistory } from './chat-history';
import { isNativeFault } from './classify-error';

describe(toChatHistory.name, () => {
  it('merges system turns, keeps order and ends with an empty model turn', () => {
    const sut = toChatHistory([
      { role: 'system', content: 'a' },
      { role: 'user', content: 'hi' },
      { role: 'system', content: 'b' },
      { role: 'assistant', content: 'hello' },
      { role: 'user', content: 'again' },
    ]);
    expect(sut).toEqual([
      { type: 'system', text: 'a\n\nb' },
      { type: 'user', text: 'hi' },
      { type: 'model', response: ['hello'] },
      { type: 'user', text: 'again' },
      { type: 'model', response: [] },
    ]);
  });

  it('attaches tool results to the calls that asked for them', () => {
    const sut = toChatHistory([
      { role: 'user', content: 'ls' },
      { role: 'assistant', content: '', toolCalls: [{ id: 'c1', name: 'bash', arguments: '{"cmd":"ls"}' }] },
      { role: 'tool', toolCallId: 'c1', content: 'a b' },
      { role: 'tool', toolCallId: 'unknown', content: 'orphan' },
    ]);
    expect(sut[1]).toEqual({
      type: 'model',
      response: [{ type: 'functionCall', name: 'bash', params: { cmd: 'ls' }, result: 'a b' }],
    });
    expect(sut[2]).toEqual({ type: 'user', text: 'orphan' });
    expect(sut[3]).toEqual({ type: 'model', response: [] });
  });

  it('goes on with the response whose tool calls were just answered, its thought kept', () => {
    const sut = toChatHistory([
      { role: 'user', content: 'ls' },
      {
        role: 'assistant',
        content: '',
        thought: 'I list them.',
        toolCalls: [{ id: 'c1', name: 'bash', arguments: '{"cmd":"ls"}' }],
      },
      { role: 'tool', toolCallId: 'c1', content: 'a b' },
    ]);
    expect(sut).toEqual([
      { type: 'user', text: 'ls' },
      {
        type: 'model',
        response: [
          { type: 'segment', segmentType: 'thought', text: 'I list them.', ended: true },
          { type: 'functionCall', name: 'bash', params: { cmd: 'ls' }, result: 'a b' },
        ],
      },
    ]);
  });
});

describe(isNativeFault.name, () => {
  it.each([
    ['CUDA error: the provided PTX was compiled with an unsupported toolchain', true],
    ['Eval has failed', true],
    ['llama_decode returned -3', true],
    ['ggml_new_object: not enough space in the context', true],
    ["Cannot read properties of undefined (reading 'text')", false],
    ['Unknown function "foo"', false],
    ['Invalid JSON schema', false],
  ])('%s → native: %s', (message, native) => {
    expect(isNativeFault(new Error(message))).toBe(native);
  });
});

describe('a partial answer (continue_final_message)', () => {
  it('is the response the model goes on writing, its thought open while nothing came after it', () => {
    const sut = toChatHistory([
      { role: 'user', content: 'hi' },
      { role: 'assistant', content: '', thought: 'The user', partial: true },
    ]);
    expect(sut).toEqual([
      { type: 'user', text: 'hi' },
      { type: 'model', response: [{ type: 'segment', segmentType: 'thought', text: 'The user', ended: false }] },
    ]);
  });

  it('closes the thought once text came after it, and goes on from the text', () => {
    const sut = toChatHistory([
      { role: 'user', content: 'hi' },
      { role: 'assistant', content: 'Hel', thought: 'Greet.', partial: true },
    ]);
    expect(sut.at(-1)).toEqual({
      type: 'model',
      response: [{ type: 'segment', segmentType: 'thought', text: 'Greet.', ended: true }, 'Hel'],
    });
  });

  it('after tool results, goes on with the response the results continued', () => {
    const sut = toChatHistory([
      { role: 'user', content: 'ls' },
      { role: 'assistant', content: '', toolCalls: [{ id: 'c1', name: 'bash', arguments: '{}' }] },
      { role: 'tool', toolCallId: 'c1', content: 'a b' },
      { role: 'assistant', content: 'The files', partial: true },
    ]);
    expect(sut).toEqual([
      { type: 'user', text: 'ls' },
      {
        type: 'model',
        response: [{ type: 'functionCall', name: 'bash', params: {}, result: 'a b' }, 'The files'],
      },
    ]);
  });

  it('is an answer like any other when it is not the last message', () => {
    const sut = toChatHistory([
      { role: 'user', content: 'hi' },
      { role: 'assistant', content: 'Hello', partial: true },
      { role: 'user', content: 'again' },
    ]);
    expect(sut.at(-1)).toEqual({ type: 'model', response: [] });
  });
});
