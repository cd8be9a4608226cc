/**
 * OpenAI routes as an Exchange: the body forwarded as sent (the pipeline rewrites the model when an
 * alias was used), the answer passed through byte for byte; only a failure the gateway itself
 * reports inside a stream is framed here.
 */
import { CortexError } from '@app/core';
import { openAIFrame } from '@app/translate';
import type { Exchange } from './exchange';

export type OpenAIPath = '/v1/chat/completions' | '/v1/completions' | '/v1/embeddings';

export function requireModel(body: unknown): { body: Record<string, unknown>; model: string } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new CortexError('invalid_body', 'body: expected a JSON object', { param: 'body' });
  }
  const b = body as Record<string, unknown>;
  if (typeof b.model !== 'string' || !b.model) {
    throw new CortexError('missing_model_field', "model: expected the model's name (a non-empty string)", {
      param: 'model',
    });
  }
  return { body: b, model: b.model };
}

/** `text`: the body as the client sent it (forwarded as is when the model is not an alias). */
export function openAIExchange(path: OpenAIPath, parsed: unknown, text?: string): Exchange {
  const { body, model } = requireModel(parsed);
  return {
    api: 'openai',
    path,
    model,
    body,
    ...(text !== undefined ? { raw: text } : {}),
    stream: body.stream === true,
    passThrough: true,
    data: () => '',
    end: () => '',
    fail: (e) => openAIFrame(e.toOpenAI()),
    answer: (b) => b,
  };
}
