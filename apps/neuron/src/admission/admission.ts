/**
 * Per-model admission: `seats` generations at once (the context's sequences), up to `queueMax`
 * waiting per account, each for at most `waitMs`. Beyond that the answer is an honest 429/503 with
 * Retry-After instead of a hidden queue. A free seat goes to the waiting account that has had the
 * least of them for its share (weighted fair queueing: each seat costs an account 1/share of
 * virtual time, and an account that starts waiting starts at the current time, so idling earns no
 * credit); anonymous requests wait until no account does. One tenant's burst fills only its own
 * queue, and cannot delay another's next request by more than a seat. And since generations are not
 * preempted, an account that was served within the last `holdMs` keeps its fair share of the seats
 * (seats × its share / the active accounts' shares): another account already at its own share
 * cannot fill them, so the next request of a tenant that works in turns (an agent, a chat) finds
 * its seat free instead of waiting for a flood's long generation to end.
 */
import { ANONYMOUS, type Principal } from '@app/core';
import { type Tenant, active, mayTake } from './fair-share';

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

export interface Waiter {
  tenant: Tenant;
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
  /** Tenants by account ('' for anonymous), in the order they started waiting. */
  private readonly tenants = new Map<string, Tenant>();
  private queued = 0;
  /** Virtual time: the start of the last seat granted. */
  private clock = 0;
  private idleWaiters: Array<() => void> = [];
  /** Wakes waiters when a held share lapses. */
  private holdTimer: NodeJS.Timeout | undefined;

  constructor(
    readonly seats: number,
    readonly queueMax: number,
    private readonly waitMs: number,
    /** How long an account keeps its fair share of seats after its last request ended (0: not at all). */
    private readonly holdMs = 0,
    private readonly now: () => number = () => performance.now(),
  ) {}

  get queueDepth(): number {
    return this.queued;
  }

  /** Retry hint: grows with the queue, 1–120 s. */
  retryAfter(): number {
    return Math.min(120, Math.max(1, 2 * (this.queued + 1)));
  }

  /** True when a request of `p` arriving now would have to queue (and there is room to). */
  mustWait(p: Principal = ANONYMOUS): boolean {
    const t = this.tenants.get(p.account ?? '');
    const waiting = t?.queue.length ?? 0;
    const held = t ? !this.eligible(t) : false;
    return (this.inFlight >= this.seats || this.queued > 0 || held) && waiting < this.queueMax;
  }

  /** Takes a seat for `p` (waiting if needed); returns the function that gives it back. */
  acquire(signal?: AbortSignal, p: Principal = ANONYMOUS): Promise<() => void> {
    if (this.closedReason !== null) {
      this.rejected.closed++;
      return Promise.reject(new AdmissionRejected('closed', 503, 2, this.closedReason));
    }
    const tenant = this.tenantOf(p);
    if (this.inFlight < this.seats && this.queued === 0 && this.eligible(tenant)) {
      this.charge(tenant);
      return Promise.resolve(this.take(tenant));
    }
    if (tenant.queue.length >= this.queueMax) {
      this.prune(tenant);
      this.rejected.queue_full++;
      const whose = p.account === null ? 'anonymous requests' : `account ${p.account}`;
      const msg = `model is at capacity: ${this.inFlight} running, ${tenant.queue.length} queued for ${whose} (max_queue_depth ${this.queueMax})`;
      return Promise.reject(new AdmissionRejected('queue_full', 429, this.retryAfter(), msg));
    }
    // Starting to wait: at the current virtual time, unless it is still paying for earlier seats.
    if (tenant.queue.length === 0) tenant.vtime = Math.max(tenant.vtime, this.clock);
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        tenant,
        grant: () => {
          cleanup();
          resolve(this.take(tenant));
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
      tenant.queue.push(waiter);
      this.queued++;
      // A seat is free but was held: for this tenant (granted now), or for another (a timer waits).
      if (this.inFlight < this.seats) this.dispatch();
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
    clearTimeout(this.holdTimer);
    this.holdTimer = undefined;
    for (const t of [...this.tenants.values()]) {
      for (const w of t.queue.splice(0)) {
        this.queued--;
        this.rejected.closed++;
        w.fail(new AdmissionRejected('closed', 503, 2, message));
      }
    }
    this.tenants.clear();
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

  private take(t: Tenant): () => void {
    this.inFlight++;
    t.running++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.inFlight--;
      t.running--;
      t.lastEnd = this.now();
      this.dispatch();
      this.notifyIdle();
    };
  }

  /** Gives free seats to the waiters that may have them; a seat held for an account waits for it. */
  private dispatch(): void {
    while (this.inFlight < this.seats) {
      const next = this.next();
      if (!next) break;
      next.grant();
    }
    if (this.queued > 0 && this.inFlight < this.seats) this.holdLapse();
  }

  /** Whether `t` may take a free seat now (see mayTake). */
  private eligible(t: Tenant): boolean {
    return !this.holdMs || mayTake(t, this.tenants.values(), this.seats, this.now(), this.holdMs);
  }

  /** Wakes the waiters when the first held share lapses (its account stayed away). */
  private holdLapse(): void {
    if (this.holdTimer || !this.holdMs) return;
    const now = this.now();
    const idle = active(this.tenants.values(), now, this.holdMs).filter((t) => !t.running && !t.queue.length);
    if (!idle.length) return;
    const at = Math.min(...idle.map((t) => t.lastEnd + this.holdMs));
    this.holdTimer = setTimeout(
      () => {
        this.holdTimer = undefined;
        this.dispatch();
      },
      Math.max(1, Math.ceil(at - now)),
    );
    this.holdTimer.unref?.();
  }

  private tenantOf(p: Principal): Tenant {
    const key = p.account ?? '';
    let t = this.tenants.get(key);
    if (!t) {
      t = { key, share: p.share, vtime: this.clock, queue: [], running: 0, lastEnd: -Infinity };
      this.tenants.set(key, t);
    }
    t.share = p.share;
    return t;
  }

  /** A seat granted to `t`: it pays 1/share of virtual time. */
  private charge(t: Tenant): void {
    const start = Math.max(t.vtime, this.clock);
    this.clock = start;
    t.vtime = start + 1 / t.share;
  }

  /**
   * The waiter a free seat goes to: the waiting account furthest behind, else the oldest anonymous
   * one, among those that may take it (eligible).
   */
  private next(): Waiter | undefined {
    let pick: Tenant | undefined;
    for (const t of this.tenants.values()) {
      if (!t.queue.length) {
        this.prune(t);
        continue;
      }
      if (!this.eligible(t)) continue;
      const anonymous = t.key === '';
      const pickedAnonymous = pick?.key === '';
      if (!pick || (pickedAnonymous && !anonymous) || (pickedAnonymous === anonymous && t.vtime < pick.vtime)) pick = t;
    }
    if (!pick) return undefined;
    const w = pick.queue.shift()!;
    this.queued--;
    this.charge(pick);
    return w;
  }

  /** Forgets a tenant with nothing waiting, running, held or to pay for (memory stays bounded). */
  private prune(t: Tenant): void {
    const held = this.now() - t.lastEnd < this.holdMs;
    if (!t.queue.length && !t.running && !held && t.vtime <= this.clock) this.tenants.delete(t.key);
  }

  private remove(w: Waiter): void {
    const i = w.tenant.queue.indexOf(w);
    if (i < 0) return;
    w.tenant.queue.splice(i, 1);
    this.queued--;
    this.prune(w.tenant);
  }
}
