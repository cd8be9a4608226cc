/**
 * One table from an error kind to its HTTP status and to each dialect's envelope: OpenAI
 * `{error: {message, type, param, code}}` and Anthropic `{type: "error", error: {type, message}}`.
 */
import type { ErrorKind } from './error-codes';

export type AnthropicErrorType =
  | 'invalid_request_error'
  | 'authentication_error'
  | 'permission_error'
  | 'not_found_error'
  | 'request_too_large'
  | 'rate_limit_error'
  | 'api_error'
  | 'overloaded_error';

export interface OpenAIErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

export interface AnthropicErrorBody {
  type: 'error';
  error: { type: AnthropicErrorType; message: string };
}

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
  conflict: { status: 409, openaiType: 'invalid_request_error', anthropicType: 'invalid_request_error' },
  too_large: { status: 413, openaiType: 'invalid_request_error', anthropicType: 'request_too_large' },
  unsupported_media: { status: 415, openaiType: 'invalid_request_error', anthropicType: 'invalid_request_error' },
  rate_limit: { status: 429, openaiType: 'rate_limit_error', anthropicType: 'rate_limit_error' },
  // A spent balance: OpenAI's own 429 of that name; Anthropic has no 429 type of its own for it.
  quota: { status: 429, openaiType: 'insufficient_quota', anthropicType: 'rate_limit_error' },
  overloaded: { status: 503, openaiType: 'api_error', anthropicType: 'overloaded_error' },
  upstream: { status: 502, openaiType: 'api_error', anthropicType: 'api_error' },
  timeout: { status: 504, openaiType: 'api_error', anthropicType: 'api_error' },
  internal: { status: 500, openaiType: 'api_error', anthropicType: 'api_error' },
};

export function statusOf(kind: ErrorKind): number {
  return KINDS[kind].status;
}

/** The kind an HTTP status stands for (used for upstream responses). */
export function kindFromStatus(status: number): ErrorKind {
  const exact: Record<number, ErrorKind> = {
    400: 'invalid_request',
    401: 'auth',
    403: 'permission',
    404: 'not_found',
    409: 'conflict',
    413: 'too_large',
    415: 'unsupported_media',
    422: 'invalid_request',
    429: 'rate_limit',
    502: 'upstream',
    503: 'overloaded',
    504: 'timeout',
    529: 'overloaded',
  };
  return exact[status] ?? (status >= 400 && status < 500 ? 'invalid_request' : 'internal');
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

export const ANTHROPIC_TO_KIND: Readonly<Record<AnthropicErrorType, ErrorKind>> = {
  invalid_request_error: 'invalid_request',
  authentication_error: 'auth',
  permission_error: 'permission',
  not_found_error: 'not_found',
  request_too_large: 'too_large',
  rate_limit_error: 'rate_limit',
  overloaded_error: 'overloaded',
  api_error: 'internal',
};
