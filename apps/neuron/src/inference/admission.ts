/**
 * Per-model admission: `seats` generations at once (the context's sequences), up to `queueMax`
 * waiting, each for at most `waitMs`. Beyond that the answer is an honest 429/503 with Retry-After
 * instead of a hidden queue.
 */
export type RejectReason = 'queue_full' | 'wait_timeout' | 'closed';

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

  /** Takes a seat (waiting if needed); returns the function that gives it back. */
  acquire(signal?: AbortSignal): Promise<() => void> {
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

  /** Refuses everyone waiting (unload, shutdown). */
  close(message: string): void {
    for (const w of this.queue.splice(0)) {
      this.rejected.closed++;
      w.fail(new AdmissionRejected('closed', 503, 2, message));
    }
  }

  /** Resolves when nothing is running. */
  idle(): Promise<void> {
    if (this.inFlight === 0) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
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
      else if (this.inFlight === 0) this.idleWaiters.splice(0).forEach((r) => r());
    };
  }

  private remove(w: Waiter): void {
    const i = this.queue.indexOf(w);
    if (i >= 0) this.queue.splice(i, 1);
  }
}
