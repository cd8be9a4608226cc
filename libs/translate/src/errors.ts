/**
 * Errors in both dialects. One taxonomy (`ErrorKind`) maps to an HTTP status, an OpenAI envelope and
 * an Anthropic envelope, so the gateway answers every failure in the caller's own dialect.
 */
import type { AnthropicErrorBody, AnthropicErrorType } from './anthropic.types';
import type { OpenAIErrorBody } from './openai.types';

export type ErrorKind =
  | 'invalid_request'
  | 'auth'
  | 'permission'
  | 'not_found'
  | 'too_large'
  | 'rate_limit'
  | 'overloaded'
  | 'upstream'
  | 'internal';

interface KindInfo {
  status: number;
  openaiType: string;
  anthropicType: AnthropicErrorType;
}

const KINDS: Record<ErrorKind, KindInfo> = {
  invalid_request: { status: 400, openaiType: 'invalid_request_error', anthropicType: 'invalid_request_error' },
  auth: { status: 401, openaiType: 'invalid_request_error', anthropicType: 'authentication_error' },
  permission: { status: 403, openaiType: 'permission_error', anthropicType: 'permission_error' },
  not_found: { status: 404, openaiType: 'invalid_request_error', anthropicType: 'not_found_error' },
  too_large: { status: 413, openaiType: 'invalid_request_error', anthropicType: 'request_too_large' },
  rate_limit: { status: 429, openaiType: 'rate_limit_error', anthropicType: 'rate_limit_error' },
  overloaded: { status: 503, openaiType: 'api_error', anthropicType: 'overloaded_error' },
  upstream: { status: 502, openaiType: 'api_error', anthropicType: 'api_error' },
  internal: { status: 500, openaiType: 'api_error', anthropicType: 'api_error' },
};

/** A failure with a kind, a message and, where one field is to blame, its path (`messages[2].content`). */
export class TranslationError extends Error {
  constructor(
    readonly kind: ErrorKind,
    message: string,
    readonly param: string | null = null,
    readonly code: string | null = null,
  ) {
    super(message);
    this.name = 'TranslationError';
  }
}

export function statusOf(kind: ErrorKind): number {
  return KINDS[kind].status;
}

/** The kind an HTTP status stands for (used for upstream responses). */
export function kindFromStatus(status: number): ErrorKind {
  if (status === 400 || status === 422) return 'invalid_request';
  if (status === 401) return 'auth';
  if (status === 403) return 'permission';
  if (status === 404) return 'not_found';
  if (status === 413) return 'too_large';
  if (status === 429) return 'rate_limit';
  if (status === 503 || status === 529) return 'overloaded';
  if (status === 502 || status === 504) return 'upstream';
  return status >= 400 && status < 500 ? 'invalid_request' : 'internal';
}

export function openAIError(
  kind: ErrorKind,
  message: string,
  param: string | null = null,
  code: string | null = null,
): OpenAIErrorBody {
  return { error: { message, type: KINDS[kind].openaiType, param, code } };
}

export function anthropicError(kind: ErrorKind, message: string): AnthropicErrorBody {
  return { type: 'error', error: { type: KINDS[kind].anthropicType, message } };
}

/**
 * HTTP status for an Anthropic answer of this kind: Anthropic reports overload as 529, which
 * @anthropic-ai/sdk retries like a 503.
 */
export function anthropicStatusOf(kind: ErrorKind): number {
  return kind === 'overloaded' ? 529 : KINDS[kind].status;
}

const ANTHROPIC_TO_KIND: Record<AnthropicErrorType, ErrorKind> = {
  invalid_request_error: 'invalid_request',
  authentication_error: 'auth',
  permission_error: 'permission',
  not_found_error: 'not_found',
  request_too_large: 'too_large',
  rate_limit_error: 'rate_limit',
  overloaded_error: 'overloaded',
  api_error: 'internal',
};

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
  const kind = (err?.type && ANTHROPIC_TO_KIND[err.type]) || kindFromStatus(status);
  const message = typeof err?.message === 'string' ? err.message : `upstream returned HTTP ${status}`;
  return { status: statusOf(kind), body: openAIError(kind, message) };
}
