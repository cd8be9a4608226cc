/**
 * Errors in the caller's dialect: OpenAI routes answer `{error: {message, type, param, code}}`,
 * Anthropic routes `{type: "error", error: {type, message}}` (overload as 529). Framework errors,
 * translation errors and upstream errors all become one CortexError first.
 */
import { type ArgumentsHost, Catch, type ExceptionFilter, Logger } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { CortexError, anthropicStatusOf, frameworkError, logFields } from '@app/core';
import { TranslationError } from '@app/translate';
import { UpstreamError } from '../upstream/upstream-error';

const log = new Logger('HTTP');

export function toCortexError(err: unknown): CortexError {
  if (err instanceof CortexError) return err;
  if (err instanceof TranslationError) {
    const code = err.code ?? (err.kind === 'invalid_request' ? 'invalid_body' : 'upstream_error');
    return new CortexError(code, err.message, { param: err.param });
  }
  if (err instanceof UpstreamError) return err.toCortexError();
  return frameworkError(err) ?? new CortexError('internal_error', err instanceof Error ? err.message : String(err));
}

export type Dialect = 'openai' | 'anthropic';

/**
 * Status and body of an error in one dialect (Anthropic reports overload as 529), carrying the
 * request id where each dialect's clients look for it (Anthropic: top-level `request_id`).
 */
export function errorReply(e: CortexError, dialect: Dialect, requestId?: string): { status: number; body: unknown } {
  if (dialect === 'anthropic') {
    const body = { ...e.toAnthropic(), ...(requestId ? { request_id: requestId } : {}) };
    return { status: e.kind === 'overloaded' ? anthropicStatusOf(e.kind) : e.status, body };
  }
  const body = e.toOpenAI();
  return { status: e.status, body: requestId ? { error: { ...body.error, request_id: requestId } } : body };
}

export function sendError(reply: FastifyReply, err: unknown, dialect: Dialect): void {
  const e = toCortexError(err);
  if (e.status >= 500) log.warn(`${e.status} ${e.code}: ${e.message}`);
  if (reply.sent || reply.raw.headersSent) {
    if (!reply.raw.writableEnded) reply.raw.end();
    return;
  }
  logFields(reply.request, { error: e.code, error_kind: e.kind });
  const { status, body } = errorReply(e, dialect, reply.request.id);
  if (e.retryAfterS !== undefined) void reply.header('retry-after', String(e.retryAfterS));
  void reply.status(status).send(body);
}

@Catch()
export class OpenAIErrorFilter implements ExceptionFilter {
  catch(err: unknown, host: ArgumentsHost): void {
    sendError(host.switchToHttp().getResponse<FastifyReply>(), err, 'openai');
  }
}

@Catch()
export class AnthropicErrorFilter implements ExceptionFilter {
  catch(err: unknown, host: ArgumentsHost): void {
    sendError(host.switchToHttp().getResponse<FastifyReply>(), err, 'anthropic');
  }
}
