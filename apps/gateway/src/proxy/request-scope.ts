/**
 * The life of one proxied request: admitted through the drain, aborted when its client leaves or
 * when a shutdown's drain timeout passes, and able to say which of those ended an upstream read, so
 * the caller gets a shutting_down error, nothing (it left), or an upstream error — never a silent cut.
 */
import type { FastifyReply } from 'fastify';
import { CortexError, logFields } from '@app/core';
import type { DrainTicket } from '../http/drain.service';
import { chargeTokens } from '../limits/key-limit.service';

/** An AbortSignal that fires when the client goes away before the response is complete. */
export function clientGone(reply: FastifyReply): AbortSignal {
  const ac = new AbortController();
  reply.raw.on('close', () => {
    if (!reply.raw.writableFinished) ac.abort();
  });
  return ac.signal;
}

export class RequestScope {
  readonly client: AbortSignal;
  /** Client gone, or shutdown: the upstream call stops either way. */
  readonly signal: AbortSignal;

  constructor(
    private readonly reply: FastifyReply,
    private readonly ticket: DrainTicket,
  ) {
    this.client = clientGone(reply);
    this.signal = AbortSignal.any([this.client, ticket.stop]);
  }

  get shuttingDown(): boolean {
    return this.ticket.stop.aborted;
  }

  /** The error to tell the client after an upstream read failed, or null when the client left. */
  failure(err: unknown, node: string): CortexError | null {
    if (this.shuttingDown) {
      return new CortexError('shutting_down', 'the gateway is shutting down; this response was cut short', {
        retryAfterS: 5,
      });
    }
    if (this.client.aborted) return null;
    const why = err instanceof Error ? err.message : String(err);
    return new CortexError('upstream_stream_error', `the neuron ${node} failed mid-stream: ${why}`);
  }

  /** Adds fields to this request's log line. */
  log(fields: Record<string, unknown>): void {
    logFields(this.reply.request, fields);
  }

  /** Charges the request's tokens to its key's token limits. */
  charge(tokens: number): void {
    chargeTokens(this.reply.request, tokens);
  }

  close(): void {
    this.ticket.leave();
  }
}
