/**
 * A prompt over the model's context is the caller's 400 before it is admitted: before it waits in
 * the queue and before a stream sends a byte (a streamed answer that starts with 200 and ends in an
 * error frame defeats clients that compact, or fall back, on a 400). Counting renders the chat
 * template in the worker, so it is skipped when the prompt cannot possibly be too long: a token is at
 * least one byte, and the rendered prompt is at most twice the request's JSON plus a template's worth.
 */
import { CortexError, contextLengthMessage } from '@app/core';
import type { GenerateRequest } from './inference.service';

/** Room for what a template adds around the messages (roles, headers, function-calling instructions). */
const TEMPLATE_BYTES = 8192;

/** An upper bound on the prompt's tokens, from its size alone. */
export function promptTokenBound(req: Pick<GenerateRequest, 'mode' | 'prompt' | 'messages' | 'tools'>): number {
  if (req.mode !== 'chat') return Buffer.byteLength(req.prompt ?? '') + 2;
  return 2 * Buffer.byteLength(JSON.stringify([req.messages ?? [], req.tools ?? []])) + TEMPLATE_BYTES;
}

export function contextExceeded(promptTokens: number, contextSize: number): CortexError {
  return new CortexError('context_length_exceeded', contextLengthMessage(promptTokens, contextSize), {
    param: 'messages',
  });
}

/**
 * Throws the caller's 400 when the prompt fills the context (not one token left to generate);
 * `count` renders and counts it, and is only called when the size bound allows an overflow.
 */
export async function assertPromptFits(
  req: Pick<GenerateRequest, 'mode' | 'prompt' | 'messages' | 'tools'>,
  contextSize: number | null,
  count: () => Promise<number>,
): Promise<void> {
  if (!contextSize || promptTokenBound(req) < contextSize) return;
  const tokens = await count();
  if (tokens >= contextSize) throw contextExceeded(tokens, contextSize);
}
