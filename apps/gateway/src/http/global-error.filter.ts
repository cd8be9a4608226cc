/**
 * Errors that reach no controller filter — invalid JSON, a body too large, an unknown route —
 * answered in the caller's dialect by path (/v1/messages is Anthropic, other API paths OpenAI).
 * Health probes keep terminus's own bodies.
 */
import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { anthropicError, anthropicStatusOf, openAIError } from '@app/translate';
import { toGatewayError } from './error.filters';

@Catch()
export class GlobalErrorFilter implements ExceptionFilter {
  catch(err: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const reply = http.getResponse<FastifyReply>();
    const url = http.getRequest<FastifyRequest>().url ?? '';
    if (reply.sent || reply.raw.headersSent) return void (reply.raw.writableEnded || reply.raw.end());
    if (!/^\/(v1|admin)(\/|$|\?)/.test(url) && err instanceof HttpException) {
      return void reply.status(err.getStatus()).send(err.getResponse());
    }
    const e = toGatewayError(err);
    if (url.startsWith('/v1/messages')) {
      return void reply
        .status(e.kind === 'overloaded' ? anthropicStatusOf(e.kind) : e.status)
        .send(anthropicError(e.kind, e.message));
    }
    void reply.status(e.status).send(openAIError(e.kind, e.message, e.param, e.code));
  }
}
