/**
 * CORS from gateway.cors_origins only (none by default), and never on /admin: a browser page may
 * call the inference API from an allowed origin, but no page can drive the fleet's admin routes.
 */
import type { FastifyRequest } from 'fastify';

type CorsCallback = (err: Error | null, options: { origin: string[] | false; maxAge?: number }) => void;

export function corsFor(origins: string[]) {
  // No origins: one static option set, normalised once, instead of a delegate run per request.
  if (origins.length === 0) return { origin: false };
  return (req: FastifyRequest, cb: CorsCallback): void => {
    const admin = /^\/admin(\/|\?|$)/.test(req.url ?? '');
    cb(null, admin ? { origin: false } : { origin: origins, maxAge: 600 });
  };
}
