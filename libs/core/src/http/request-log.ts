/**
 * One request id and one structured log line per request, for both apps, through Fastify's own
 * logger (pino, JSON lines on stdout). The id is the client's `x-request-id` when it is a sane token,
 * else generated; it is echoed on every response, passed to neurons, and put in error bodies. Handlers
 * add what they learn (model, node, tokens, timings) with `logFields`; the line is written once, when
 * the response ends or the client leaves. Prompts and completions are never logged.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyRequest, FastifyServerOptions } from 'fastify';
import pino from 'pino';
import { readableLogs, readableStream } from './readable-log';

export const REQUEST_ID_HEADER = 'x-request-id';
const VALID_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The client's id when it is a token of at most 128 safe characters; else a new one. */
export function requestIdOf(header: unknown): string {
  const v = Array.isArray(header) ? header[0] : header;
  return typeof v === 'string' && VALID_ID.test(v) ? v : `req_${randomUUID().replace(/-/g, '')}`;
}

/** How long a log line may wait in the buffer before it is written. */
export const LOG_FLUSH_MS = 100;

/**
 * stdout, buffered: one write per 4 KB or per LOG_FLUSH_MS instead of one per line. A write per
 * request cost the gateway about 0.2 ms of added latency (a syscall and a wake-up of whatever reads
 * the pipe); what is buffered is written out when the process exits.
 */
function logDestination(): pino.DestinationStream {
  const dest = pino.destination({ dest: 1, sync: false, minLength: 4096, periodicFlush: LOG_FLUSH_MS });
  process.once('exit', () => {
    try {
      dest.flushSync();
    } catch {
      // stdout already gone
    }
  });
  return dest;
}

/** Fastify options for an app that logs its requests: pino JSON lines, our ids, no built-in request lines. */
export function requestLogOptions(app: string): Partial<FastifyServerOptions> {
  return {
    logger: {
      level: process.env.CORTEX_LOG_LEVEL ?? 'info',
      base: { app },
      timestamp: () => `,"time":"${new Date().toISOString()}"`,
      messageKey: 'msg',
      // People get readable lines on a terminal; machines get JSON (readable-log.ts).
      stream: readableLogs() ? readableStream() : logDestination(),
    },
    genReqId: (req) => requestIdOf(req.headers[REQUEST_ID_HEADER]),
    requestIdHeader: false,
    requestIdLogLabel: 'request_id',
    disableRequestLogging: true,
  };
}

const fields = new WeakMap<object, Record<string, unknown>>();

/** Adds fields to the request's log line (later values win). */
export function logFields(req: FastifyRequest | { raw: object }, values: Record<string, unknown>): void {
  const have = fields.get(req.raw);
  if (have) Object.assign(have, values);
  else fields.set(req.raw, { ...values });
}

/**
 * Echoes the id on every response, makes it the request's `x-request-id` for whatever is forwarded,
 * and writes the line when the response is done: status, duration and the handler's fields.
 * Routes matching `quiet` (probes, metrics scrapes) get no line.
 */
export function installRequestLog(
  fastify: FastifyInstance,
  quiet: RegExp = /^\/(livez|readyz|metrics)(\?|$)/,
  onLine?: (line: Record<string, unknown>) => void,
): void {
  fastify.addHook('onRequest', (req, reply, done) => {
    req.headers[REQUEST_ID_HEADER] = req.id;
    void reply.header(REQUEST_ID_HEADER, req.id);
    if (quiet.test(req.url)) return done();
    const started = performance.now();
    reply.raw.once('close', () => {
      const extra = fields.get(req.raw) ?? {};
      const finished = reply.raw.writableFinished;
      const line = {
        method: req.method,
        route: req.routeOptions?.url ?? req.url.split('?')[0],
        status: reply.raw.statusCode,
        duration_ms: Math.round((performance.now() - started) * 10) / 10,
        ...(finished ? {} : { client_gone: true }),
        ...extra,
      };
      req.log.info(line, 'request');
      onLine?.({ time: new Date().toISOString(), request_id: req.id, ...line });
    });
    done();
  });
}
