/** The pipeline's client port on Fastify: the request's headers and caller, its log line, its reply. */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { type SseOptions, SseStream, logFields } from '@app/core';
import { callerOf } from '../auth/caller';
import type { Client, EventSink } from '../proxy/client';

export function fastifyClient(req: FastifyRequest, reply: FastifyReply): Client {
  return {
    headers: req.headers,
    caller: callerOf(req),
    onGone(fn) {
      reply.raw.once('close', () => {
        if (!reply.raw.writableFinished) fn();
      });
    },
    log: (fields) => logFields(req, fields),
    openStream: (opts: SseOptions): EventSink => new SseStream(reply, opts),
    async send(status, body, headers) {
      if (headers) void reply.headers(headers);
      if (typeof body === 'string' && !reply.getHeader('content-type')) void reply.type('application/json');
      await reply.status(status).send(body);
    },
  };
}
