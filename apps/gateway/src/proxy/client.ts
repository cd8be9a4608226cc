/**
 * The pipeline's port to the client: what the request carried and the ways to answer it (one JSON
 * or text reply, or an event stream opened once). The HTTP layer implements it on Fastify; the
 * pipeline and its dialect adapters never touch a FastifyReply.
 */
import type { SseOptions } from '@app/core';
import type { Caller } from '../auth/caller';

export type Headers = Record<string, string | string[] | undefined>;

/** An open event stream: frames in order, honouring backpressure, ended exactly once. */
export interface EventSink {
  write(frame: string | Buffer): Promise<void>;
  end(frame?: string): void;
}

export interface Client {
  readonly headers: Headers;
  readonly caller: Caller | null;
  /** Runs `fn` once if the client goes away before its answer is complete. */
  onGone(fn: () => void): void;
  /** Adds fields to this request's log line. */
  log(fields: Record<string, unknown>): void;
  /** Opens the event stream (status 200). */
  openStream(opts: SseOptions): EventSink;
  /** One whole answer: `body` is sent as is when it is a string, as JSON otherwise. */
  send(status: number, body: unknown, headers?: Record<string, string>): Promise<void>;
}
