/** The fake neuron's small parts: token text a client can check for order, JSON answers, pacing. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { CortexError } from '@app/core';

/**
 * Token `i` of a fake answer: its index, then padding to `bytes`. A client checks order by reading
 * the numbers back (`tokenIndexes`).
 */
export function fakeToken(i: number, bytes = 3): string {
  const n = `${i} `;
  return n.length >= bytes ? n : `${'t'.repeat(bytes - n.length)}${n}`;
}

/** The token indexes in a fake answer's concatenated text, in the order they arrived. */
export function tokenIndexes(text: string): number[] {
  return text
    .split(' ')
    .filter(Boolean)
    .map((t) => Number(t.replace(/^t+/, '')));
}

export function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

export function fail(res: ServerResponse, e: CortexError): void {
  send(res, e.status, e.toOpenAI());
}

export async function body(req: IncomingMessage): Promise<Record<string, unknown>> {
  let text = '';
  for await (const c of req) text += c;
  try {
    return text ? (JSON.parse(text) as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** Until a full socket drains or closes, with no listener left behind either way. */
export function drained(res: ServerResponse): Promise<void> {
  return new Promise((r) => {
    const done = () => {
      res.off('drain', done).off('close', done);
      r();
    };
    res.on('drain', done).on('close', done);
  });
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A seeded generator, so a fleet's failures repeat from run to run. */
export function random(seed: string): () => number {
  let s = [...seed].reduce((h, c) => Math.imul(h ^ c.charCodeAt(0), 16777619), 2166136261) >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t ^= t + Math.imul(t ^ (t >>> 7), 61 | t);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
