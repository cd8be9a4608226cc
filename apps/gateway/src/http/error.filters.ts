/**
 * Errors in the caller's dialect: OpenAI routes answer `{error: {message, type, param, code}}`,
 * Anthropic routes `{type: "error", error: {type, message}}` (overload as 529). Framework errors,
 * translation errors and upstream errors all map through one ErrorKind.
 */
import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import {
  type ErrorKind,
  TranslationError,
  anthropicError,
  anthropicStatusOf,
  kindFromStatus,
  openAIError,
} from '@app/translate';
import { GatewayError } from '../gateway-error';
import { UpstreamError } from '../upstream/neuron-client';

const log = new Logger('HTTP');

export function toGatewayError(err: unknown): GatewayError {
  if (err instanceof GatewayError) return err;
  if (err instanceof TranslationError) return new GatewayError(err.kind, err.message, err.code, err.param);
  if (err instanceof UpstreamError) {
    if (err.connection) return new GatewayError('upstream', err.message, 'upstream_connection_error', null, 2);
    const e = (err.body as { error?: { message?: string; code?: string; param?: string } })?.error;
    return new GatewayError(
      kindFromStatus(err.status!),
      e?.message ?? err.message,
      e?.code ?? null,
      e?.param ?? null,
      undefined,
      err.status!,
    );
  }
  const status = err instanceof HttpException ? err.getStatus() : (err as { statusCode?: number })?.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    const kind: ErrorKind = status === 413 ? 'too_large' : kindFromStatus(status);
    return new GatewayError(
      kind,
      `body: ${(err as Error).message}`,
      status === 413 ? 'request_too_large' : 'invalid_body',
      'body',
      undefined,
      status,
    );
  }
  return new GatewayError('internal', err instanceof Error ? err.message : String(err), 'internal_error');
}

function send(reply: FastifyReply, status: number, body: unknown, retryAfterS?: number): void {
  if (reply.sent || reply.raw.headersSent) {
    if (!reply.raw.writableEnded) reply.raw.end();
    return;
  }
  if (retryAfterS !== undefined) void reply.header('retry-after', String(retryAfterS));
  void reply.status(status).send(body);
}

@Catch()
export class OpenAIErrorFilter implements ExceptionFilter {
  catch(err: unknown, host: ArgumentsHost): void {
    const e = toGatewayError(err);
    if (e.status >= 500) log.warn(`${e.status} ${e.code ?? ''}: ${e.message}`);
    send(
      host.switchToHttp().getResponse<FastifyReply>(),
      e.status,
      openAIError(e.kind, e.message, e.param, e.code),
      e.retryAfterS,
    );
  }
}

@Catch()
export class AnthropicErrorFilter implements ExceptionFilter {
  catch(err: unknown, host: ArgumentsHost): void {
    const e = toGatewayError(err);
    if (e.status >= 500) log.warn(`${e.status} ${e.code ?? ''}: ${e.message}`);
    const status = e.kind === 'overloaded' ? anthropicStatusOf(e.kind) : e.status;
    send(host.switchToHttp().getResponse<FastifyReply>(), status, anthropicError(e.kind, e.message), e.retryAfterS);
  }
}
