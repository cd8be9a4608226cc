import { describe, expect, it, vi } from 'vitest';
import { CortexError } from '@app/core';
import { assertPromptFits, promptTokenBound } from './context-check';

const chat = (content: string) => ({ mode: 'chat' as const, messages: [{ role: 'user' as const, content }] });

describe(assertPromptFits.name, () => {
  it('does not count a prompt that cannot be too long', async () => {
    const count = vi.fn(async () => 1);
    await assertPromptFits(chat('hello'), 32768, count);
    expect(count).not.toHaveBeenCalled();
  });

  it('counts a prompt that may be too long, and refuses it with both counts', async () => {
    const big = chat('x'.repeat(20_000));
    expect(promptTokenBound(big)).toBeGreaterThan(40_000);
    await expect(assertPromptFits(big, 8192, async () => 20_001)).rejects.toMatchObject({
      code: 'context_length_exceeded',
      message: expect.stringMatching(
        /^prompt is too long: 20001 tokens > 8192 maximum\. This model's maximum context length is 8192/,
      ),
    });
    await expect(assertPromptFits(big, 32768, async () => 20_001)).resolves.toBeUndefined();
  });

  it('refuses a prompt that leaves no token to generate', async () => {
    const err = await assertPromptFits(chat('x'.repeat(9000)), 8192, async () => 8192).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CortexError);
  });

  it('bounds a completion prompt by its bytes', () => {
    expect(promptTokenBound({ mode: 'completion', prompt: 'héllo' })).toBe(8);
  });
});
