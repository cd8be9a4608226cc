/**
 * The gateway's side of a streamed response: takes over the raw socket (reply.hijack()), keeps the
 * reply's headers (CORS), writes with backpressure, sends keep-alive pings while waiting (an SSE
 * comment for OpenAI, a `ping` event for Anthropic), and ends once.
 */
import { once } from 'node:events';
import type { FastifyReply } from 'fastify';

export class SseResponse {
  private pinger?: NodeJS.Timeout;
  private lastWrite = Date.now();

  constructor(
    private readonly reply: FastifyReply,
    private readonly pingFrame: () => string,
    pingMs = 1000,
  ) {
    const headers = reply.getHeaders() as import('node:http').OutgoingHttpHeaders;
    reply.hijack();
    reply.raw.writeHead(200, {
      ...headers,
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    reply.raw.flushHeaders();
    this.pinger = setInterval(() => {
      if (Date.now() - this.lastWrite >= pingMs) void this.write(this.pingFrame());
    }, pingMs);
    this.pinger.unref();
    reply.raw.on('close', () => clearInterval(this.pinger));
  }

  get open(): boolean {
    return !this.reply.raw.destroyed && !this.reply.raw.writableEnded;
  }

  /** Writes, waiting for 'drain' when the client reads slower than the upstream writes. */
  async write(data: string | Buffer): Promise<void> {
    if (!this.open || data.length === 0) return;
    this.lastWrite = Date.now();
    if (!this.reply.raw.write(data)) await Promise.race([once(this.reply.raw, 'drain'), once(this.reply.raw, 'close')]);
  }

  end(last?: string): void {
    clearInterval(this.pinger);
    if (!this.open) return;
    if (last) this.reply.raw.write(last);
    this.reply.raw.end();
  }
}
