/**
 * The life of one proxied request: admitted through the drain, aborted when its client leaves or
 * when a shutdown's drain timeout passes, and able to say which of those ended an upstream read, so
 * the caller gets a shutting_down error, nothing (it left), or an upstream error — never a silent cut.
 */
import { CortexError } from '@app/core';
import type { DrainTicket } from '../lifecycle/drain.service';
import type { Client } from './client';

export class RequestScope {
  private readonly abort = new AbortController();
  private clientLeft = false;
  private readonly closers: Array<() => void> = [];
  /** Client gone, or shutdown: the upstream call stops either way (one signal per request, no AbortSignal.any). */
  readonly signal = this.abort.signal;

  private readonly ticket: DrainTicket;

  /** `enter` admits the request through the drain, given what ends it at the drain timeout. */
  constructor(client: Client, enter: (stop: () => void) => DrainTicket) {
    this.ticket = enter(() => this.abort.abort());
    client.onGone(() => {
      this.clientLeft = true;
      this.abort.abort();
    });
  }

  get shuttingDown(): boolean {
    return this.ticket.stopped;
  }

  /** The error to tell the client after an upstream read failed, or null when the client left. */
  failure(err: unknown, node: string): CortexError | null {
    if (this.shuttingDown) {
      return new CortexError('shutting_down', 'the gateway is shutting down; this response was cut short', {
        retryAfterS: 5,
      });
    }
    if (this.clientLeft) return null;
    const why = err instanceof Error ? err.message : String(err);
    return new CortexError('upstream_stream_error', `the neuron ${node} failed mid-stream: ${why}`);
  }

  /** Runs `fn` when the request is over (however it ended). */
  onClose(fn: () => void): void {
    this.closers.push(fn);
  }

  close(): void {
    for (const fn of this.closers.splice(0)) fn();
    this.ticket.leave();
  }
}
