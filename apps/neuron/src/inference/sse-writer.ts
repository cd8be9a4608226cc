/**
 * Writes an OpenAI SSE stream on a raw Node response (after Fastify's reply.hijack()): headers,
 * `: ping` comments every second while nothing else is sent, data frames, and either `[DONE]` or a
 * terminal error frame — never a fake normal finish.
 */
import type { ServerResponse } from 'node:http';

export class SseWriter {
  private pinger?: NodeJS.Timeout;
  private lastWrite = Date.now();
  private closed = false;

  constructor(
    private readonly res: ServerResponse,
    pingMs = 1000,
  ) {
    res.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    res.flushHeaders();
    this.pinger = setInterval(() => {
      if (Date.now() - this.lastWrite >= pingMs) this.raw(': ping\n\n');
    }, pingMs).unref();
    res.on('close', () => this.stop());
  }

  get open(): boolean {
    return !this.closed && !this.res.destroyed;
  }

  data(payload: unknown): void {
    this.raw(`data: ${JSON.stringify(payload)}\n\n`);
  }

  done(): void {
    this.raw('data: [DONE]\n\n');
    this.end();
  }

  error(body: unknown): void {
    this.data(body);
    this.end();
  }

  private raw(text: string): void {
    if (!this.open) return;
    this.lastWrite = Date.now();
    this.res.write(text);
  }

  private end(): void {
    this.stop();
    if (!this.res.writableEnded) this.res.end();
  }

  private stop(): void {
    this.closed = true;
    clearInterval(this.pinger);
  }
}
