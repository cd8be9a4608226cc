/**
 * Errors raised by Fastify or Nest before a handler runs (unparseable JSON, a body over its limit,
 * an unknown route, a wrong content type) as CortexErrors, so both apps answer them in a dialect.
 */
import { CortexError, type ErrorCode } from '../errors';

const BY_STATUS: Record<number, ErrorCode> = {
  404: 'not_found',
  405: 'not_found',
  413: 'request_too_large',
  414: 'request_too_large',
  415: 'unsupported_media_type',
};

function statusOfFramework(err: unknown): number | undefined {
  const e = err as { getStatus?: () => number; statusCode?: number; status?: number };
  if (typeof e?.getStatus === 'function') return e.getStatus();
  return typeof e?.statusCode === 'number' ? e.statusCode : undefined;
}

/** The CortexError for a framework 4xx, or null when `err` is not one. */
export function frameworkError(err: unknown): CortexError | null {
  const status = statusOfFramework(err);
  if (status === undefined || status < 400 || status >= 500) return null;
  const message = err instanceof Error ? err.message : 'request refused';
  const code =
    BY_STATUS[status] ??
    ((err as { code?: string }).code === 'FST_ERR_CTP_INVALID_JSON_BODY' ? 'invalid_json' : 'invalid_body');
  if (code === 'request_too_large')
    return new CortexError(code, 'request body too large for this route', { param: 'body' });
  if (code === 'unsupported_media_type')
    return new CortexError(code, 'expected content-type: application/json', { param: 'body' });
  if (code === 'not_found') return new CortexError(code, message);
  return new CortexError(code, `body: ${message}`, { param: 'body', status });
}
