/**
 * Every error from the neuron's routes leaves in the OpenAI envelope with its contract code, and
 * Retry-After where retrying helps. Framework errors (bad JSON, body too large, unknown route) too.
 */
import { ArgumentsHost, Catch, type ExceptionFilter, Logger } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { logFields } from '@app/core';
import { toCortexError } from '../errors/to-cortex-error';

@Catch()
export class OpenAIErrorFilter implements ExceptionFilter {
  private readonly log = new Logger('HTTP');

  catch(err: unknown, host: ArgumentsHost): void {
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    const e = toCortexError(err);
    if (e.status >= 500) this.log.error(`${e.status} ${e.code}: ${e.message}`);
    if (reply.sent || reply.raw.headersSent) {
      if (!reply.raw.writableEnded) reply.raw.end();
      return;
    }
    logFields(reply.request, { error: e.code, error_kind: e.kind });
    if (e.retryAfterS !== undefined) void reply.header('retry-after', String(e.retryAfterS));
    void reply.status(e.status).send({ error: { ...e.toOpenAI().error, request_id: reply.request.id } });
  }
}
