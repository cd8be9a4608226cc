/**
 * Every error from the neuron's API routes leaves in the OpenAI envelope, with Retry-After where
 * retrying helps. Framework errors (bad JSON, body too large, unknown route) are mapped too.
 */
import { ArgumentsHost, Catch, type ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { NeuronHttpError, toHttpError } from './neuron-http-error';

function fromFramework(err: unknown): NeuronHttpError | null {
  const status = err instanceof HttpException ? err.getStatus() : (err as { statusCode?: number })?.statusCode;
  if (typeof status !== 'number' || err instanceof NeuronHttpError) return null;
  const message = err instanceof Error ? err.message : 'request failed';
  if (status === 413)
    return new NeuronHttpError(413, 'invalid_request_error', 'request body too large', 'request_too_large', 'body');
  if (status === 404) return new NeuronHttpError(404, 'invalid_request_error', message, 'not_found');
  if (status === 415)
    return new NeuronHttpError(
      415,
      'invalid_request_error',
      'expected content-type: application/json',
      'unsupported_media_type',
      'body',
    );
  if (status >= 400 && status < 500)
    return new NeuronHttpError(status, 'invalid_request_error', `body: ${message}`, 'invalid_body', 'body');
  return null;
}

@Catch()
export class OpenAIErrorFilter implements ExceptionFilter {
  private readonly log = new Logger('HTTP');

  catch(err: unknown, host: ArgumentsHost): void {
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    const e = fromFramework(err) ?? toHttpError(err);
    if (e.status >= 500) this.log.error(`${e.status} ${e.code ?? ''}: ${e.message}`);
    if (reply.sent || reply.raw.headersSent) {
      if (!reply.raw.writableEnded) reply.raw.end();
      return;
    }
    if (e.retryAfterS !== undefined) void reply.header('retry-after', String(e.retryAfterS));
    void reply.status(e.status === 499 ? 400 : e.status).send(e.body());
  }
}
