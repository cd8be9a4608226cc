/**
 * The JSON body parser both apps install in place of Fastify's: it refuses nesting deeper than a
 * limit before parsing (a 200,000-deep array otherwise overflows the stack wherever the body is
 * walked or serialised) and refuses prototype-named keys anywhere in the body, each as a 400 that
 * names the problem.
 */
import type { FastifyInstance } from 'fastify';
import { CortexError } from '../errors';

/** Keys that address an object's prototype in JavaScript; never meaningful in an API body. */
export const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

/** Deepest nesting of arrays and objects in JSON text, found without parsing or recursion. */
export function jsonDepth(text: string, stopAbove = Infinity): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92 /* \ */) i++;
      else if (c === 34 /* " */) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 91 /* [ */ || c === 123 /* { */) {
      if (++depth > max) max = depth;
      if (max > stopAbove) return max;
    } else if (c === 93 /* ] */ || c === 125 /* } */) depth--;
  }
  return max;
}

/** The path of the first prototype-named key in a parsed value, or null (iterative walk). */
export function forbiddenKeyPath(value: unknown): string | null {
  const stack: Array<[unknown, string]> = [[value, '']];
  while (stack.length) {
    const [v, path] = stack.pop()!;
    if (typeof v !== 'object' || v === null) continue;
    if (Array.isArray(v)) {
      v.forEach((x, i) => stack.push([x, `${path}[${i}]`]));
      continue;
    }
    for (const key of Object.keys(v)) {
      const at = path ? `${path}.${key}` : key;
      if (FORBIDDEN_KEYS.has(key)) return at;
      stack.push([(v as Record<string, unknown>)[key], at]);
    }
  }
  return null;
}

/** Parses a request body under the depth limit; every refusal is a CortexError 400. */
export function parseJsonBody(text: string, maxDepth: number): unknown {
  if (jsonDepth(text, maxDepth) > maxDepth) {
    throw new CortexError('json_too_deep', `body: JSON nested deeper than ${maxDepth} levels`, { param: 'body' });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new CortexError('invalid_json', `body: not valid JSON (${(err as Error).message})`, { param: 'body' });
  }
  const bad = forbiddenKeyPath(parsed);
  if (bad !== null) {
    throw new CortexError('forbidden_key', `${bad}: the key "${bad.split(/[.[]/).pop()}" is not allowed`, {
      param: bad,
    });
  }
  return parsed;
}

/** Replaces Fastify's JSON parser (call before routes are registered, i.e. before app.init()). */
export function installJsonParser(fastify: FastifyInstance, maxDepth: number): void {
  fastify.removeContentTypeParser('application/json');
  fastify.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => {
    if (body === '') return done(null, undefined);
    try {
      done(null, parseJsonBody(body as string, maxDepth));
    } catch (err) {
      done(err as Error, undefined);
    }
  });
}
