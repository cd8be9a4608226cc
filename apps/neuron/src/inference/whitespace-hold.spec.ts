import { describe, expect, it } from 'vitest';
import { WhitespaceHold } from './openai-mapping';

describe('WhitespaceHold (streamed text beside tool calls)', () => {
  it('holds whitespace until real text follows, then sends both', () => {
    const h = new WhitespaceHold();
    expect(h.text('\n')).toBeNull();
    expect(h.text(' ')).toBeNull();
    expect(h.text('Hi')).toBe('\n Hi');
    expect(h.text(' there')).toBe(' there');
    expect(h.rest(false)).toBe('');
  });

  it('drops whitespace before a tool call, and after one at the end', () => {
    const h = new WhitespaceHold();
    expect(h.text('\n\n')).toBeNull();
    h.call();
    expect(h.text('\n')).toBeNull();
    expect(h.rest(true)).toBe('');
  });

  it('sends held whitespace at the end of an answer without calls (it is the answer)', () => {
    const h = new WhitespaceHold();
    expect(h.text(' ')).toBeNull();
    expect(h.rest(false)).toBe(' ');
  });
});
