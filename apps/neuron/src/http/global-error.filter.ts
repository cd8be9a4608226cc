/**
 * Errors that reach no controller filter — invalid JSON, a body too large, an unknown route, a
 * refused credential — in the OpenAI envelope; health probes keep terminus's own bodies.
 */
import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { OpenAIErrorFilter } from './openai-error.filter';

@Catch()
export class GlobalErrorFilter implements ExceptionFilter {
  private readonly openai = new OpenAIErrorFilter();

  catch(err: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const url = http.getRequest<FastifyRequest>().url ?? '';
    if (/^\/(livez|readyz)(\?|$)/.test(url) && err instanceof HttpException) {
      return void http.getResponse<FastifyReply>().status(err.getStatus()).send(err.getResponse());
    }
    this.openai.catch(err, host);
  }
}
