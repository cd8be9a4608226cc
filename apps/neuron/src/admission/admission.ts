/**
 * Per-model admission: `seats` generations at once (the context's sequences), up to `queueMax`
 * waiting, each for at most `waitMs`. Beyond that the answer is an honest 429/503 with Retry-After
 * instead of a hidden queue.
 */
export const REJECT_REASONS = ['queue_full', 'wait_timeout', 'closed'] as const;
export type RejectReason = (typeof REJECT_REASONS)[number];

export class AdmissionRejected extends Error {
  constructor(
    readonly reason: RejectReason,
    readonly status: 429 | 503,
    readonly retryAfterS: number,
    message: string,
  ) {
    super(message);
  }
}

interface Waiter {
  grant(): void;
  fail(err: Error): void;
}

export class Admission {
  inFlight = 0;
  /** Short work that needs no seat (token counting) but must finish before an unload. */
  light = 0;
  /** A draining unload: nothing new is admitted. */
  closedReason: string | null = null;
  readonly rejected: Record<RejectReason, number> = { queue_full: 0, wait_timeout: 0, closed: 0 };
  private readonly queue: Waiter[] = [];
  private idleWaiters: Array<() => void> = [];

  constructor(
    readonly seats: number,
    readonly queueMax: number,
    private readonly waitMs: number,
  ) {}

  get queueDepth(): number {
    return this.queue.length;
  }

  /** Retry hint: grows with the queue, 1–120 s. */
  retryAfter(): number {
    return Math.min(120, Math.max(1, 2 * (this.queue.length + 1)));
  }

  /** True when a request arriving now would have to queue (and there is room to). */
  mustWait(): boolean {
    return (this.inFlight >= this.seats || this.queue.length > 0) && this.queue.length < this.queueMax;
  }

  /** Takes a seat (waiting if needed); returns the function that gives it back. */
  acquire(signal?: AbortSignal): Promise<() => void> {
    if (this.closedReason !== null) {
      this.rejected.closed++;
      return Promise.reject(new AdmissionRejected('closed', 503, 2, this.closedReason));
    }
    if (this.inFlight < this.seats && this.queue.length === 0) return Promise.resolve(this.take());
    if (this.queue.length >= this.queueMax) {
      this.rejected.queue_full++;
      const msg = `model is at capacity: ${this.inFlight} running, ${this.queue.length} queued (max_queue_depth ${this.queueMax})`;
      return Promise.reject(new AdmissionRejected('queue_full', 429, this.retryAfter(), msg));
    }
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        grant: () => {
          cleanup();
          resolve(this.take());
        },
        fail: (err) => {
          cleanup();
          reject(err);
        },
      };
      const timer = setTimeout(() => {
        this.remove(waiter);
        this.rejected.wait_timeout++;
        const msg = `no seat became free within max_wait_s (${this.waitMs / 1000} s)`;
        waiter.fail(new AdmissionRejected('wait_timeout', 503, this.retryAfter(), msg));
      }, this.waitMs);
      const onAbort = () => {
        this.remove(waiter);
        waiter.fail(new Error('client went away while queued'));
      };
      const cleanup = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.queue.push(waiter);
    });
  }

  /** Counts seatless work (refused while closed); returns the function that ends it. */
  track(): () => void {
    if (this.closedReason !== null) throw new AdmissionRejected('closed', 503, 2, this.closedReason);
    this.light++;
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.light--;
      this.notifyIdle();
    };
  }

  /** Work admitted and not finished, with or without a seat. */
  get busy(): number {
    return this.inFlight + this.light;
  }

  /** Refuses everyone waiting and, until reopen(), everyone new (unload, shutdown). */
  close(message: string): void {
    this.closedReason = message;
    for (const w of this.queue.splice(0)) {
      this.rejected.closed++;
      w.fail(new AdmissionRejected('closed', 503, 2, message));
    }
  }

  reopen(): void {
    this.closedReason = null;
  }

  /** Resolves when nothing is running. */
  idle(): Promise<void> {
    if (this.busy === 0) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }

  private notifyIdle(): void {
    if (this.busy === 0) this.idleWaiters.splice(0).forEach((r) => r());
  }

  private take(): () => void {
    this.inFlight++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.inFlight--;
      const next = this.queue.shift();
      if (next) next.grant();
      else this.notifyIdle();
    };
  }

  private remove(w: Waiter): void {
    const i = this.queue.indexOf(w);
    if (i >= 0) this.queue.splice(i, 1);
  }
}
