/**
 * Errors while translating between dialects, and the mapping of one dialect's error answer to the
 * other's. The kinds, statuses and envelopes themselves are @app/core's error model.
 */
import {
  ANTHROPIC_TO_KIND,
  type AnthropicErrorBody,
  type ErrorCode,
  type ErrorKind,
  type OpenAIErrorBody,
  anthropicError,
  anthropicStatusOf,
  kindFromStatus,
  openAIError,
  statusOf,
} from '@app/core/errors';

export {
  type ErrorKind,
  anthropicError,
  anthropicStatusOf,
  kindFromStatus,
  openAIError,
  statusOf,
} from '@app/core/errors';

/** A failure with a kind, a message and, where one field is to blame, its path (`messages[2].content`). */
export class TranslationError extends Error {
  constructor(
    readonly kind: ErrorKind,
    message: string,
    readonly param: string | null = null,
    readonly code: ErrorCode | null = null,
  ) {
    super(message);
    this.name = 'TranslationError';
  }
}

/** OpenAI error (status + body as received) → Anthropic envelope. */
export function openAIErrorToAnthropic(status: number, body: unknown): { status: number; body: AnthropicErrorBody } {
  const kind = kindFromStatus(status);
  const err = (body as Partial<OpenAIErrorBody> | undefined)?.error;
  const message = typeof err?.message === 'string' ? err.message : `upstream returned HTTP ${status}`;
  return { status: anthropicStatusOf(kind), body: anthropicError(kind, message) };
}

/** Anthropic error (status + body as received) → OpenAI envelope. */
export function anthropicErrorToOpenAI(status: number, body: unknown): { status: number; body: OpenAIErrorBody } {
  const err = (body as Partial<AnthropicErrorBody> | undefined)?.error;
  const type = err?.type;
  const kind =
    (typeof type === 'string' && Object.hasOwn(ANTHROPIC_TO_KIND, type) && ANTHROPIC_TO_KIND[type]) ||
    kindFromStatus(status);
  const message = typeof err?.message === 'string' ? err.message : `upstream returned HTTP ${status}`;
  return { status: statusOf(kind), body: openAIError(kind, message) };
}
