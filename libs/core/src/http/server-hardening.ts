/**
 * Limits both apps' HTTP servers share: how long a request may take to arrive (slowloris), how long
 * a silent connection lives, the JSON parser with its depth limit, and a body limit per route
 * (inference bodies carry images; admin bodies are a few fields). Bodies over a limit are a 413.
 */
import type { FastifyInstance, FastifyServerOptions } from 'fastify';
import { CortexError } from '../errors';
import { frameworkError } from './framework-error';
import { installJsonParser } from './json-body';

export interface HttpLimits {
  /** The whole request (headers and body) must arrive within this. */
  request_timeout_s: number;
  /** A connection with no traffic either way for this long is closed. */
  idle_timeout_s: number;
  /** Inference routes' body limit. */
  body_max_mb: number;
  json_max_depth: number;
}

/** Admin and lifecycle routes take a few fields. */
export const SMALL_BODY_BYTES = 64 * 1024;

export function serverOptions(limits: HttpLimits): FastifyServerOptions {
  const requestMs = limits.request_timeout_s * 1000;
  // Node checks request timeouts every connectionsCheckingInterval (30 s by default): check often
  // enough that request_timeout_s means what it says. Fastify passes `http` to http.createServer.
  const http = { connectionsCheckingInterval: Math.min(1000, requestMs), headersTimeout: Math.min(requestMs, 20_000) };
  return {
    ...({ http } as object),
    bodyLimit: SMALL_BODY_BYTES,
    requestTimeout: requestMs,
    connectionTimeout: limits.idle_timeout_s * 1000,
    routerOptions: { maxParamLength: 256 },
    return503OnClosing: true,
    // A malformed URL or an over-long path parameter fails in Fastify's router, before any Nest
    // filter: answer it in the route's dialect too.
    frameworkErrors: (err, req, reply) => {
      const e = frameworkError(err) ?? new CortexError('invalid_body', err.message);
      const anthropic = (req.url ?? '').startsWith('/v1/messages');
      const id = req.id;
      const body = anthropic
        ? { ...e.toAnthropic(), request_id: id }
        : { error: { ...e.toOpenAI().error, request_id: id } };
      void reply.raw
        .writeHead(e.status, { 'content-type': 'application/json; charset=utf-8', 'x-request-id': id })
        .end(JSON.stringify(body));
    },
  };
}

/**
 * Installs the JSON parser and gives every route whose URL starts with one of `largeBodyPrefixes`
 * the inference body limit; all others keep SMALL_BODY_BYTES. Call before routes are registered.
 */
export function hardenServer(fastify: FastifyInstance, limits: HttpLimits, largeBodyPrefixes: string[]): void {
  installJsonParser(fastify, limits.json_max_depth);
  const large = limits.body_max_mb * 1024 * 1024;
  fastify.addHook('onRoute', (route) => {
    if (largeBodyPrefixes.some((p) => route.url.startsWith(p))) route.bodyLimit = large;
  });
}
