/**
 * One server-sent-events writer for both apps: takes over the raw response after Fastify's
 * reply.hijack(), keeps headers already set on the reply (CORS), sends a keep-alive frame while
 * nothing else goes out, honours backpressure with one drain waiter per stream, and ends exactly
 * once. A client that takes nothing for `stallMs`, or falls more than `maxBufferedBytes` behind, is
 * dropped: the socket closes, which aborts the work behind the stream.
 */
import type { OutgoingHttpHeaders } from 'node:http';
import type { FastifyReply } from 'fastify';

export interface SseOptions {
  pingFrame?: () => string;
  pingMs?: number;
  /** A blocked write that sees no drain for this long drops the client. */
  stallMs?: number;
  /** Bytes queued for a client beyond which it is dropped (a writer that cannot pause keeps writing). */
  maxBufferedBytes?: number;
  /** Told once, when a slow client is dropped. */
  onDrop?: (reason: 'stalled' | 'too_far_behind') => void;
}

/** SseOptions from a [limits] section. */
export function sseLimits(limits: { stall_timeout_s: number; stall_buffer_mb: number }): SseOptions {
  return { stallMs: limits.stall_timeout_s * 1000, maxBufferedBytes: limits.stall_buffer_mb * 1024 * 1024 };
}

export class SseStream {
  private readonly pinger: NodeJS.Timeout;
  private lastWrite = Date.now();
  private blocked: Promise<void> | null = null;
  private stallTimer?: NodeJS.Timeout;
  private readonly opts: Required<Omit<SseOptions, 'onDrop'>> & Pick<SseOptions, 'onDrop'>;
  dropped: 'stalled' | 'too_far_behind' | null = null;

  constructor(
    private readonly reply: FastifyReply,
    options: SseOptions = {},
  ) {
    this.opts = {
      pingFrame: () => ': ping\n\n',
      pingMs: 1000,
      stallMs: 30_000,
      maxBufferedBytes: 8 * 1024 * 1024,
      ...options,
    };
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
    const pingMs = this.opts.pingMs;
    this.pinger = setInterval(() => {
      // No ping while a write waits: the client is not reading, and the ping would only queue.
      if (!this.blocked && Date.now() - this.lastWrite >= pingMs) void this.write(this.opts.pingFrame());
    }, pingMs);
    this.pinger.unref();
    reply.raw.on('close', () => {
      clearInterval(this.pinger);
      clearTimeout(this.stallTimer);
    });
  }

  get open(): boolean {
    return !this.reply.raw.destroyed && !this.reply.raw.writableEnded;
  }

  /**
   * Writes a frame; the promise settles once the client has taken what is queued (or left). A
   * caller that cannot pause its source may ignore it: frames are still written in order, up to
   * maxBufferedBytes.
   */
  write(frame: string | Buffer): Promise<void> {
    if (!this.open || frame.length === 0) return Promise.resolve();
    this.lastWrite = Date.now();
    const raw = this.reply.raw;
    const ok = raw.write(frame);
    if (raw.writableLength > this.opts.maxBufferedBytes) {
      this.drop('too_far_behind');
      return Promise.resolve();
    }
    if (ok && !this.blocked) return Promise.resolve();
    return this.waitForDrain();
  }

  /** `data: <json>` frame, the shape of every OpenAI stream event. */
  data(payload: unknown): Promise<void> {
    return this.write(`data: ${JSON.stringify(payload)}\n\n`);
  }

  end(last?: string): void {
    clearInterval(this.pinger);
    clearTimeout(this.stallTimer);
    if (!this.open) return;
    if (last) this.reply.raw.write(last);
    this.reply.raw.end();
  }

  private waitForDrain(): Promise<void> {
    const raw = this.reply.raw;
    this.blocked ??= new Promise<void>((resolve) => {
      const settle = () => {
        raw.off('drain', settle);
        raw.off('close', settle);
        clearTimeout(this.stallTimer);
        this.blocked = null;
        resolve();
      };
      raw.on('drain', settle);
      raw.on('close', settle);
      this.stallTimer = setTimeout(() => this.drop('stalled'), this.opts.stallMs);
      this.stallTimer.unref();
    });
    return this.blocked;
  }

  private drop(reason: 'stalled' | 'too_far_behind'): void {
    if (this.dropped || !this.open) return;
    this.dropped = reason;
    clearInterval(this.pinger);
    this.opts.onDrop?.(reason);
    this.reply.raw.destroy();
  }
}
