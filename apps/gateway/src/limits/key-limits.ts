/**
 * Per-key limits as pure state: concurrent requests, requests per minute, and tokens per minute and
 * per day, each a window that refills continuously (a token bucket: capacity = the limit, refilled
 * at limit per window). A request needs a free seat, one request from the request bucket and a token
 * bucket that is not empty; its tokens are charged when its usage is known (a request may overdraw,
 * and then the next waits until the bucket refills).
 */
export interface KeyLimitConfig {
  max_concurrent?: number;
  requests_per_minute?: number;
  tokens_per_minute?: number;
  tokens_per_day?: number;
}

const MINUTE = 60_000;
const DAY = 86_400_000;

class Bucket {
  private level: number;
  private at: number;

  constructor(
    readonly limit: number,
    readonly windowMs: number,
    now: number,
    level = limit,
  ) {
    this.level = level;
    this.at = now;
  }

  remaining(now: number): number {
    this.level = Math.min(this.limit, this.level + ((now - this.at) * this.limit) / this.windowMs);
    this.at = now;
    return this.level;
  }

  take(n: number, now: number): void {
    this.remaining(now);
    this.level -= n;
  }

  /** Seconds until `need` is available again. */
  waitS(need: number, now: number): number {
    const missing = need - this.remaining(now);
    return missing <= 0 ? 0 : Math.ceil((missing * this.windowMs) / this.limit / 1000);
  }

  /** Seconds until the bucket is full again (the `reset` headers). */
  resetS(now: number): number {
    return Math.ceil(((this.limit - this.remaining(now)) * this.windowMs) / this.limit / 1000);
  }
}

export type LimitName = 'concurrency' | 'requests' | 'tokens_per_minute' | 'tokens_per_day';

export interface LimitView {
  requests?: { limit: number; remaining: number; resetS: number };
  tokens?: { limit: number; remaining: number; resetS: number };
}

/** Each bucket's level at one moment (how a shared store hands back what it decided). */
export interface Levels {
  requests?: number;
  perMinute?: number;
  perDay?: number;
}

export const WINDOW_MS = { requests: MINUTE, perMinute: MINUTE, perDay: DAY } as const;

export type Admission =
  { ok: true; view: LimitView } | { ok: false; limit: LimitName; retryAfterS: number; view: LimitView };

/** One key's limits. */
export class KeyLimits {
  private running = 0;
  private readonly requests?: Bucket;
  private readonly perMinute?: Bucket;
  private readonly perDay?: Bucket;

  constructor(
    private readonly cfg: KeyLimitConfig,
    now: number,
    levels: Levels = {},
  ) {
    const { requests_per_minute: rpm, tokens_per_minute: tpm, tokens_per_day: tpd } = cfg;
    if (rpm) this.requests = new Bucket(rpm, MINUTE, now, levels.requests ?? rpm);
    if (tpm) this.perMinute = new Bucket(tpm, MINUTE, now, levels.perMinute ?? tpm);
    if (tpd) this.perDay = new Bucket(tpd, DAY, now, levels.perDay ?? tpd);
  }

  /**
   * What a shared store decided, as an Admission: `refused` names the limit that refused (null:
   * admitted) and `levels` are the buckets after it.
   */
  static decided(cfg: KeyLimitConfig, refused: LimitName | null, levels: Levels, now: number): Admission {
    const k = new KeyLimits(cfg, now, levels);
    return refused ? k.refuse(refused, now) : { ok: true, view: k.view(now) };
  }

  /** Takes a seat and a request, or says which limit refuses and for how long. */
  admit(now: number): Admission {
    const refused = this.refusing(now);
    if (refused) return this.refuse(refused, now);
    this.running++;
    this.requests?.take(1, now);
    return { ok: true, view: this.view(now) };
  }

  private refusing(now: number): LimitName | null {
    if (this.cfg.max_concurrent && this.running >= this.cfg.max_concurrent) return 'concurrency';
    if (this.requests && this.requests.remaining(now) < 1) return 'requests';
    if (this.perMinute && this.perMinute.remaining(now) <= 0) return 'tokens_per_minute';
    if (this.perDay && this.perDay.remaining(now) <= 0) return 'tokens_per_day';
    return null;
  }

  private refuse(limit: LimitName, now: number): Admission {
    const wait: Record<LimitName, () => number> = {
      concurrency: () => 1,
      requests: () => this.requests!.waitS(1, now),
      tokens_per_minute: () => this.perMinute!.waitS(1, now),
      tokens_per_day: () => this.perDay!.waitS(1, now),
    };
    return { ok: false, limit, retryAfterS: Math.max(1, wait[limit]()), view: this.view(now) };
  }

  release(): void {
    this.running = Math.max(0, this.running - 1);
  }

  charge(tokens: number, now: number): void {
    this.perMinute?.take(tokens, now);
    this.perDay?.take(tokens, now);
  }

  /** What the rate-limit headers report: the request bucket, and the tighter token bucket. */
  view(now: number): LimitView {
    const out: LimitView = {};
    if (this.requests) {
      const r = this.requests;
      out.requests = { limit: r.limit, remaining: Math.max(0, Math.floor(r.remaining(now))), resetS: r.resetS(now) };
    }
    const tokens = [this.perMinute, this.perDay].filter((b): b is Bucket => !!b);
    if (tokens.length) {
      const t = tokens.reduce((a, b) => (b.remaining(now) < a.remaining(now) ? b : a));
      out.tokens = { limit: t.limit, remaining: Math.max(0, Math.floor(t.remaining(now))), resetS: t.resetS(now) };
    }
    return out;
  }
}
