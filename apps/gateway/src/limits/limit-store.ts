/**
 * Where per-key limits keep their state: a port with two adapters, this replica's memory (the
 * default) and Redis (redis-limit-store.ts, [state] redis_url), which every gateway replica shares so
 * N replicas allow each limit once, not N times.
 */
import { type Admission, type KeyLimitConfig, KeyLimits } from './key-limits';

export abstract class LimitStore {
  /** Takes a seat (named `seat`) and a request for `keyId`, or says which limit refuses. */
  abstract admit(keyId: string, cfg: KeyLimitConfig, seat: string, now: number): Promise<Admission>;
  /** Gives the seat back. */
  abstract release(keyId: string, seat: string): Promise<void>;
  /** Charges a finished request's tokens to the key's token buckets. */
  abstract charge(keyId: string, cfg: KeyLimitConfig, tokens: number, now: number): Promise<void>;
}

export class MemoryLimitStore extends LimitStore {
  private readonly keys = new Map<string, { sig: string; limits: KeyLimits }>();

  admit(keyId: string, cfg: KeyLimitConfig, _seat: string, now: number): Promise<Admission> {
    return Promise.resolve(this.limitsOf(keyId, cfg, now).admit(now));
  }

  release(keyId: string): Promise<void> {
    this.keys.get(keyId)?.limits.release();
    return Promise.resolve();
  }

  charge(keyId: string, cfg: KeyLimitConfig, tokens: number, now: number): Promise<void> {
    this.limitsOf(keyId, cfg, now).charge(tokens, now);
    return Promise.resolve();
  }

  /** The key's limits, rebuilt when a reload changed them. */
  private limitsOf(keyId: string, cfg: KeyLimitConfig, now: number): KeyLimits {
    const sig = JSON.stringify(cfg);
    const known = this.keys.get(keyId);
    if (known?.sig === sig) return known.limits;
    const limits = new KeyLimits(cfg, now);
    this.keys.set(keyId, { sig, limits });
    return limits;
  }
}
