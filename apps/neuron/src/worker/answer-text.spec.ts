/** The answer's text and thoughts out of node-llama-cpp's response segments, as the worker returns them. */
import { describe, expect, it } from 'vitest';
import { answerText, thoughtsOf } from './generation-options';

const thought = (text: string) => ({ type: 'segment', segmentType: 'thought', text, ended: true });

describe('answerText', () => {
  it('drops the blank line a thought leaves before the answer (Qwen’s "</think>\\n\\n")', () => {
    expect(answerText([thought('hmm'), '\n\nIt is sunny.'])).toBe('It is sunny.');
    expect(answerText([thought('hmm'), '\n', '\n', 'It is', ' sunny.'])).toBe('It is sunny.');
  });

  it('keeps whitespace that is the answer’s own: at its start without a thought, and inside it', () => {
    expect(answerText(['  indented\n\ncode'])).toBe('  indented\n\ncode');
    expect(answerText([thought('a'), 'one\n\n', 'two'])).toBe('one\n\ntwo');
  });

  it('a second thought strips again, and a turn that only thinks has no text', () => {
    expect(answerText([thought('a'), '\nx', thought('b'), '\n\ny'])).toBe('xy');
    expect(answerText([thought('a'), '\n\n'])).toBe('');
  });

  it('thoughtsOf joins thoughts and says undefined when there were none', () => {
    expect(thoughtsOf([thought('a'), 'x', thought('b')])).toBe('a\nb');
    expect(thoughtsOf(['x'])).toBeUndefined();
  });
});
