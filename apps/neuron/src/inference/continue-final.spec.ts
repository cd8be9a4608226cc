import { describe, expect, it } from 'vitest';
import { CortexError } from '@app/core';
import { toWorkerMessages } from './openai-mapping';

describe('continue_final_message', () => {
  const user = { role: 'user' as const, content: 'hi' };

  it('marks the last assistant message as the answer to go on with', () => {
    const out = toWorkerMessages([user, { role: 'assistant', content: 'Hel', reasoning_content: 'Greet.' }], true);
    expect(out.at(-1)).toEqual({ role: 'assistant', content: 'Hel', thought: 'Greet.', partial: true });
  });

  it('leaves every message as it is without the flag', () => {
    const out = toWorkerMessages([user, { role: 'assistant', content: 'Hel' }]);
    expect(out.at(-1)).toEqual({ role: 'assistant', content: 'Hel' });
  });

  it('refuses a last message that is not the assistant’s, naming the field', () => {
    const e = (() => {
      try {
        toWorkerMessages([user], true);
      } catch (err) {
        return err as CortexError;
      }
    })();
    expect(e).toBeInstanceOf(CortexError);
    expect(e).toMatchObject({ code: 'invalid_body', param: 'continue_final_message', status: 400 });
  });

  it('refuses an answer to go on with that carries tool calls (calls are generated whole)', () => {
    const calls = [{ id: 'c1', function: { name: 'f', arguments: '{}' } }];
    expect(() => toWorkerMessages([user, { role: 'assistant', content: '', tool_calls: calls }], true)).toThrow(
      /cannot carry tool_calls/,
    );
  });
});
