/**
 * One server-sent-events writer for both apps: takes over the raw response after Fastify's
 * reply.hijack(), keeps headers already set on the reply (CORS), sends a keep-alive frame while
 * nothing else goes out, honours backpressure, and ends exactly once.
 */
import type { OutgoingHttpHeaders } from 'node:http';
import type { FastifyReply } from 'fastify';

export class SseStream {
  private readonly pinger: NodeJS.Timeout;
  private lastWrite = Date.now();

  constructor(
    private readonly reply: FastifyReply,
    private readonly pingFrame: () => string = () => ': ping\n\n',
    pingMs = 1000,
  ) {
    const headers = reply.getHeaders() as OutgoingHttpHeaders;
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

  /**
   * Writes a frame; the promise settles once the client has taken it (or left). A caller that
   * cannot pause its source may ignore it: frames are still written in order.
   */
  async write(frame: string | Buffer): Promise<void> {
    if (!this.open || frame.length === 0) return;
    this.lastWrite = Date.now();
    if (this.reply.raw.write(frame)) return;
    const raw = this.reply.raw;
    await new Promise<void>((resolve) => {
      const settle = () => {
        raw.off('drain', settle);
        raw.off('close', settle);
        resolve();
      };
      raw.on('drain', settle);
      raw.on('close', settle);
    });
  }

  /** `data: <json>` frame, the shape of every OpenAI stream event. */
  data(payload: unknown): Promise<void> {
    return this.write(`data: ${JSON.stringify(payload)}\n\n`);
  }

  end(last?: string): void {
    clearInterval(this.pinger);
    if (!this.open) return;
    if (last) this.reply.raw.write(last);
    this.reply.raw.end();
  }
}
