/**
 * The JSON body parser both apps install in place of Fastify's: it refuses nesting deeper than a
 * limit (a 200,000-deep array otherwise overflows the stack wherever the body is walked or
 * serialised) and prototype-named keys anywhere in the body, each as a 400 that names the problem,
 * in one walk of the parsed value; and it keeps the text, which the gateway forwards as is.
 */
import type { FastifyInstance } from 'fastify';
import { CortexError } from '../errors';

/** Keys that address an object's prototype in JavaScript; never meaningful in an API body. */
export const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

/** One node of the walk; a key's path is spelled out only for the key that is refused. */
interface Visit {
  v: unknown;
  depth: number;
  parent: Visit | null;
  key: string | number;
}

function pathOf(at: Visit): string {
  const keys: Array<string | number> = [];
  for (let n: Visit | null = at; n?.parent; n = n.parent) keys.push(n.key);
  let path = '';
  for (const k of keys.reverse()) path += typeof k === 'number' ? `[${k}]` : path ? `.${k}` : k;
  return path;
}

/**
 * One iterative walk of a parsed body: its nesting depth (stopping above `maxDepth`) and the path
 * of its first prototype-named key. V8's JSON.parse is itself iterative, so a deep body is safe to
 * parse and is refused here, before anything recursive walks or serialises it.
 */
export function checkParsed(value: unknown, maxDepth: number): { depth: number; forbidden: string | null } {
  let max = 0;
  const stack: Visit[] = [{ v: value, depth: 0, parent: null, key: '' }];
  while (stack.length) {
    const at = stack.pop()!;
    const v = at.v;
    if (typeof v !== 'object' || v === null) continue;
    const depth = at.depth + 1;
    if (depth > max && (max = depth) > maxDepth) return { depth: max, forbidden: null };
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) {
        const x: unknown = v[i];
        if (typeof x === 'object' && x !== null) stack.push({ v: x, depth, parent: at, key: i });
      }
      continue;
    }
    for (const key of Object.keys(v)) {
      if (FORBIDDEN_KEYS.has(key)) return { depth: max, forbidden: pathOf({ v: null, depth, parent: at, key }) };
      const x = (v as Record<string, unknown>)[key];
      if (typeof x === 'object' && x !== null) stack.push({ v: x, depth, parent: at, key });
    }
  }
  return { depth: max, forbidden: null };
}

/** Parses a request body under the depth limit; every refusal is a CortexError 400. */
export function parseJsonBody(text: string, maxDepth: number): unknown {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new CortexError('invalid_json', `body: not valid JSON (${(err as Error).message})`, { param: 'body' });
  }
  const { depth, forbidden } = checkParsed(parsed, maxDepth);
  if (depth > maxDepth) {
    throw new CortexError('json_too_deep', `body: JSON nested deeper than ${maxDepth} levels`, { param: 'body' });
  }
  if (forbidden !== null) {
    throw new CortexError('forbidden_key', `${forbidden}: the key "${forbidden.split(/[.[]/).pop()}" is not allowed`, {
      param: forbidden,
    });
  }
  return parsed;
}

/** The body text as the client sent it, kept by the JSON parser (a proxy may forward it as is). */
export function rawJsonOf(req: object): string | undefined {
  return (req as { cortexRawJson?: string | null }).cortexRawJson ?? undefined;
}

/** Replaces Fastify's JSON parser (call before routes are registered, i.e. before app.init()). */
export function installJsonParser(fastify: FastifyInstance, maxDepth: number): void {
  fastify.removeContentTypeParser('application/json');
  fastify.decorateRequest('cortexRawJson', null);
  fastify.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
    if (body === '') return done(null, undefined);
    try {
      const parsed = parseJsonBody(body as string, maxDepth);
      (req as { cortexRawJson?: string }).cortexRawJson = body as string;
      done(null, parsed);
    } catch (err) {
      done(err as Error, undefined);
    }
  });
}
