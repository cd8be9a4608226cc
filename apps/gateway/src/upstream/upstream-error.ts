/**
 * How a call to a neuron failed, told apart honestly: only a connect failure (refused, unresolvable,
 * unreachable, connect timeout) means the request never reached the neuron, so only it may count
 * against the neuron's health or be retried elsewhere. A deadline is a 504, a broken connection a
 * 502, and an HTTP error carries the neuron's own ErrorCode.
 */
import { CortexError, type ErrorCode, isErrorCode } from '@app/core';

export type UpstreamFailure = 'connect' | 'timeout' | 'broken' | 'aborted' | 'http';

const CONNECT_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_CONNECT_TIMEOUT',
]);
const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

const BY_STATUS: Record<number, ErrorCode> = {
  400: 'invalid_body',
  404: 'not_found',
  409: 'model_busy',
  413: 'request_too_large',
  429: 'rate_limit_exceeded',
  503: 'service_unavailable',
  504: 'upstream_timeout',
};

interface NeuronErrorBody {
  error?: { message?: unknown; code?: unknown; param?: unknown };
}

/** The contract's error code in a body a neuron answered (parsed JSON), or null. */
export function neuronErrorCode(body: unknown): ErrorCode | null {
  const code = (body as NeuronErrorBody | null)?.error?.code;
  return isErrorCode(code) ? code : null;
}

export class UpstreamError extends Error {
  constructor(
    readonly node: string,
    readonly failure: UpstreamFailure,
    message: string,
    readonly status: number | null = null,
    readonly body: unknown = null,
    readonly retryAfterS?: number,
  ) {
    super(message);
    this.name = 'UpstreamError';
  }

  /** The request never reached the neuron. */
  get connection(): boolean {
    return this.failure === 'connect';
  }

  /** The neuron's error code, when it answered with one from the contract. */
  get code(): ErrorCode | null {
    return neuronErrorCode(this.body);
  }

  toCortexError(): CortexError {
    switch (this.failure) {
      case 'connect':
        return new CortexError('upstream_connection_error', this.message, { retryAfterS: 2 });
      case 'timeout':
        return new CortexError('upstream_timeout', this.message);
      case 'aborted':
        return new CortexError('request_aborted', this.message);
      case 'broken':
        return new CortexError('upstream_error', this.message);
    }
    const status = this.status!;
    if (status === 401 || status === 403) {
      return new CortexError(
        'upstream_error',
        `neuron ${this.node} refused the gateway's credentials (check its [[neurons]] token in cortex.toml)`,
      );
    }
    return neuronError(status, this.body, this.message, this.retryAfterS);
  }
}

/**
 * The one table from a neuron's error answer to the CortexError every dialect renders: by the
 * contract's code when the body carries one (its status kept, so a pass-through and a translation
 * agree), else by the HTTP status (a 5xx without a code is the neuron's fault: 502). A frame inside
 * a stream has no status: its code decides.
 */
export function neuronError(status: number | null, body: unknown, fallback: string, retryAfterS?: number): CortexError {
  const e = (body as NeuronErrorBody | null)?.error;
  const message = typeof e?.message === 'string' ? e.message : fallback;
  const param = typeof e?.param === 'string' ? e.param : null;
  const code = neuronErrorCode(body);
  if (code) return new CortexError(code, message, { param, retryAfterS, status: status ?? undefined });
  if (status === null) return new CortexError('upstream_error', message, { param });
  const byStatus = BY_STATUS[status] ?? (status >= 500 ? 'upstream_error' : 'invalid_body');
  return new CortexError(byStatus, message, {
    param,
    retryAfterS,
    status: byStatus === 'upstream_error' ? 502 : status,
  });
}

/** Classifies what undici threw. `deadline` fired means our own time limit ran out. */
export function classifyFailure(
  err: unknown,
  deadline: AbortSignal | undefined,
  caller?: AbortSignal,
): UpstreamFailure {
  const code =
    (err as { code?: string; cause?: { code?: string } })?.code ?? (err as { cause?: { code?: string } })?.cause?.code;
  if (code && CONNECT_CODES.has(code)) return 'connect';
  if ((code && TIMEOUT_CODES.has(code)) || deadline?.aborted) return 'timeout';
  if (caller?.aborted) return 'aborted';
  return 'broken';
}
