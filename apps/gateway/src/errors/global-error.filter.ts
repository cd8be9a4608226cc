/**
 * Errors that reach no controller filter — invalid JSON, a body too large, an unknown route —
 * answered in the caller's dialect by path (/v1/messages is Anthropic, other paths OpenAI).
 * Health probes keep terminus's own bodies.
 */
import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { sendError } from './error.filters';

@Catch()
export class GlobalErrorFilter implements ExceptionFilter {
  catch(err: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const reply = http.getResponse<FastifyReply>();
    const url = http.getRequest<FastifyRequest>().url ?? '';
    if (/^\/(livez|readyz)(\?|$)/.test(url) && err instanceof HttpException && !reply.sent) {
      return void reply.status(err.getStatus()).send(err.getResponse());
    }
    sendError(reply, err, url.startsWith('/v1/messages') ? 'anthropic' : 'openai');
  }
}
