/**
 * Enforces each API key's limits ([[auth.keys]] max_concurrent, requests_per_minute,
 * tokens_per_minute, tokens_per_day): a refused request is a 429 with Retry-After in the caller's
 * dialect, and every response of a limited key carries the remaining-limit headers each dialect's
 * clients read (OpenAI `x-ratelimit-*`, Anthropic `anthropic-ratelimit-*`). The state is in the
 * LimitStore: this replica's memory, or Redis shared by every replica. With Redis down, limits fall
 * back to this replica's own ([state] limits_when_down = "open", warned and counted) or refuse with
 * a 503 ("closed").
 */
import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { InjectMetric } from '@willsoto/nestjs-prometheus';
import type { FastifyReply } from 'fastify';
import type { Counter } from 'prom-client';
import { type CortexConfig, CortexError } from '@app/core';
import { CLOCK, type Clock, GATEWAY_CONFIG } from '../config/gateway.tokens';
import { G } from '../metrics/gateway-metrics';
import { STATE_REDIS, type StateRedis, storeUnavailable } from '../state/state-redis';
import type { Admission, KeyLimitConfig, LimitName, LimitView } from './key-limits';
import { LimitStore, MemoryLimitStore } from './limit-store';

/** The `limit` label a refusal of each configured limit carries (key-limits.ts LimitName). */
const LABEL: Record<keyof KeyLimitConfig, LimitName> = {
  max_concurrent: 'concurrency',
  requests_per_minute: 'requests',
  tokens_per_minute: 'tokens_per_minute',
  tokens_per_day: 'tokens_per_day',
};

const LIMIT_KEYS = Object.keys(LABEL) as Array<keyof KeyLimitConfig>;

@Injectable()
export class KeyLimitService {
  /** This replica's own limits: the store, or what limits fall back to while a shared store is down. */
  private readonly local = new MemoryLimitStore();
  private readonly seen = new Set<string>();

  constructor(
    @Inject(GATEWAY_CONFIG) private readonly cfg: CortexConfig,
    @Inject(CLOCK) private readonly clock: Clock,
    @InjectMetric(G.rateLimited) private readonly refused: Counter<string>,
    private readonly store: LimitStore,
    @Inject(STATE_REDIS) private readonly state: StateRedis | null,
  ) {}

  /**
   * Admits one request of `keyId`, or throws its 429; the seat is given back when the response ends.
   * Returns what charges the request's tokens to the key (undefined when the key has no limits).
   */
  async admit(
    keyId: string,
    reply: FastifyReply,
    dialect: 'openai' | 'anthropic',
  ): Promise<((tokens: number) => void) | undefined> {
    const cfg = this.limitsOf(keyId);
    if (!cfg) return undefined;
    const now = this.clock.now();
    const seat = randomUUID();
    // The client may leave while the store answers: its seat is given back either way.
    let closed = false;
    let release = () => undefined as void;
    reply.raw.once('close', () => {
      closed = true;
      release();
    });
    let store = this.store;
    let a: Admission;
    try {
      a = await store.admit(keyId, cfg, seat, now);
    } catch (err) {
      this.state?.failed('limits', 'per-key limits could not be checked', err);
      if (this.cfg.state.limits_when_down === 'closed') throw storeUnavailable('limits');
      store = this.local;
      a = await store.admit(keyId, cfg, seat, now);
    }
    setHeaders(reply, a.view, dialect, now);
    if (!a.ok) {
      this.refused.inc({ key_id: keyId, limit: a.limit });
      throw new CortexError(
        'rate_limit_exceeded',
        `this key's ${a.limit.replace(/_/g, ' ')} limit is reached; retry in ${a.retryAfterS} s`,
        {
          retryAfterS: a.retryAfterS,
        },
      );
    }
    const failed = (err: unknown) => this.state?.failed('limits', 'a per-key limit was not updated', err);
    release = () => void store.release(keyId, seat).catch(failed);
    if (closed) release();
    return (tokens) => void store.charge(keyId, cfg, tokens, this.clock.now()).catch(failed);
  }

  /** The key's configured limits (read at each request, so a reload applies at once). */
  private limitsOf(keyId: string): KeyLimitConfig | undefined {
    const key = this.cfg.auth.keys.find((k) => (k.key_id ?? k.account_id) === keyId);
    const cfg: KeyLimitConfig = {};
    for (const name of LIMIT_KEYS) if (key?.[name]) cfg[name] = key[name];
    if (!Object.keys(cfg).length) return undefined;
    if (!this.seen.has(keyId)) {
      this.seen.add(keyId);
      // Each of its limits has a refusal series from the key's first request, at 0 ("none", not "no data").
      for (const name of Object.keys(cfg))
        this.refused.inc({ key_id: keyId, limit: LABEL[name as keyof KeyLimitConfig] }, 0);
    }
    return cfg;
  }
}

function setHeaders(reply: FastifyReply, v: LimitView, dialect: 'openai' | 'anthropic', now: number): void {
  const h: Record<string, string> = {};
  for (const [kind, b] of [
    ['requests', v.requests],
    ['tokens', v.tokens],
  ] as const) {
    if (!b) continue;
    if (dialect === 'anthropic') {
      h[`anthropic-ratelimit-${kind}-limit`] = String(b.limit);
      h[`anthropic-ratelimit-${kind}-remaining`] = String(b.remaining);
      h[`anthropic-ratelimit-${kind}-reset`] = new Date(now + b.resetS * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    } else {
      h[`x-ratelimit-limit-${kind}`] = String(b.limit);
      h[`x-ratelimit-remaining-${kind}`] = String(b.remaining);
      h[`x-ratelimit-reset-${kind}`] = `${b.resetS}s`;
    }
  }
  void reply.headers(h);
}
