/**
 * The one error both apps throw: a code from the closed list (which fixes its kind and status), a
 * message for people, the field to blame and a Retry-After where retrying helps. Filters render it
 * in the caller's dialect; nothing else decides a status.
 */
import { type ErrorCode, type ErrorKind, kindOf } from './error-codes';
import { type AnthropicErrorBody, type OpenAIErrorBody, anthropicError, openAIError, statusOf } from './envelopes';

export interface CortexErrorOptions {
  param?: string | null;
  retryAfterS?: number;
  /** Only for statuses a kind cannot express, such as an upstream status passed through. */
  status?: number;
}

export class CortexError extends Error {
  readonly kind: ErrorKind;
  readonly param: string | null;
  readonly retryAfterS?: number;
  private readonly statusOverride?: number;

  constructor(
    readonly code: ErrorCode,
    message: string,
    opts: CortexErrorOptions = {},
  ) {
    super(message);
    this.name = 'CortexError';
    this.kind = kindOf(code);
    this.param = opts.param ?? null;
    this.retryAfterS = opts.retryAfterS;
    this.statusOverride = opts.status;
  }

  get status(): number {
    return this.statusOverride ?? statusOf(this.kind);
  }

  toOpenAI(): OpenAIErrorBody {
    return openAIError(this.kind, this.message, this.param, this.code);
  }

  toAnthropic(): AnthropicErrorBody {
    return anthropicError(this.kind, this.message);
  }
}

/** A field of the request is wrong: 400 naming the field. */
export const invalidField = (param: string, message: string, code: ErrorCode = 'invalid_body') =>
  new CortexError(code, message, { param });
