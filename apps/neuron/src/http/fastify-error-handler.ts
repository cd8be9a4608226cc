/**
 * Fastify-level errors (invalid JSON, body too large, wrong content type) happen before Nest routes
 * a request; this handler gives them the same OpenAI envelope as every other error.
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';

export function fastifyErrorHandler(err: FastifyError, _req: FastifyRequest, reply: FastifyReply): void {
  const status = err.statusCode && err.statusCode >= 400 ? err.statusCode : 500;
  const code =
    status === 413
      ? 'request_too_large'
      : status === 415
        ? 'unsupported_media_type'
        : status < 500
          ? 'invalid_body'
          : 'internal_error';
  const type = status < 500 ? 'invalid_request_error' : 'api_error';
  void reply
    .status(status)
    .send({ error: { message: `body: ${err.message}`, type, param: status < 500 ? 'body' : null, code } });
}
