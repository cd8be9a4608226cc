/**
 * Enforces each API key's limits ([[auth.keys]] max_concurrent, requests_per_minute,
 * tokens_per_minute, tokens_per_day): a refused request is a 429 with Retry-After in the caller's
 * dialect, and every response of a limited key carries the remaining-limit headers each dialect's
 * clients read (OpenAI `x-ratelimit-*`, Anthropic `anthropic-ratelimit-*`). State is per gateway
 * replica (docs/operations.md).
 */
import { Inject, Injectable } from '@nestjs/common';
import { InjectMetric } from '@willsoto/nestjs-prometheus';
import type { FastifyReply } from 'fastify';
import type { Counter } from 'prom-client';
import { type CortexConfig, CortexError } from '@app/core';
import { CLOCK, type Clock, GATEWAY_CONFIG } from '../config/gateway.tokens';
import { G } from '../metrics/gateway-metrics';
import { type KeyLimitConfig, KeyLimits, type LimitName, type LimitView } from './key-limits';

/** The `limit` label a refusal of each configured limit carries (key-limits.ts LimitName). */
const LABEL: Record<keyof KeyLimitConfig, LimitName> = {
  max_concurrent: 'concurrency',
  requests_per_minute: 'requests',
  tokens_per_minute: 'tokens_per_minute',
  tokens_per_day: 'tokens_per_day',
};

const LIMIT_KEYS: Array<keyof KeyLimitConfig> = [
  'max_concurrent',
  'requests_per_minute',
  'tokens_per_minute',
  'tokens_per_day',
];

@Injectable()
export class KeyLimitService {
  private readonly keys = new Map<string, { sig: string; limits: KeyLimits }>();

  constructor(
    @Inject(GATEWAY_CONFIG) private readonly cfg: CortexConfig,
    @Inject(CLOCK) private readonly clock: Clock,
    @InjectMetric(G.rateLimited) private readonly refused: Counter<string>,
  ) {}

  /**
   * Admits one request of `keyId`, or throws its 429; the seat is given back when the response ends.
   * Returns what charges the request's tokens to the key (undefined when the key has no limits).
   */
  admit(keyId: string, reply: FastifyReply, dialect: 'openai' | 'anthropic'): ((tokens: number) => void) | undefined {
    const limits = this.limitsOf(keyId);
    if (!limits) return undefined;
    const now = this.clock.now();
    const a = limits.admit(now);
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
    let released = false;
    reply.raw.once('close', () => {
      if (!released) limits.release();
      released = true;
    });
    return (tokens) => limits.charge(tokens, this.clock.now());
  }

  /** The key's limits, rebuilt when a reload changed them. */
  private limitsOf(keyId: string): KeyLimits | undefined {
    const key = this.cfg.auth.keys.find((k) => (k.key_id ?? k.account_id) === keyId);
    const cfg: KeyLimitConfig = {};
    for (const name of LIMIT_KEYS) if (key?.[name]) cfg[name] = key[name];
    if (!Object.keys(cfg).length) return undefined;
    const sig = JSON.stringify(cfg);
    const known = this.keys.get(keyId);
    if (known?.sig === sig) return known.limits;
    const limits = new KeyLimits(cfg, this.clock.now());
    this.keys.set(keyId, { sig, limits });
    // Each of its limits has a refusal series from the key's first request, at 0 ("none", not "no data").
    for (const key of Object.keys(cfg))
      this.refused.inc({ key_id: keyId, limit: LABEL[key as keyof KeyLimitConfig] }, 0);
    return limits;
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
