/**
 * The client of an external entitlement authority ([entitlements.upstream]), speaking the reference
 * cortex's protocol: POST {url}/authz/v1/{resolve,reserve,settle,release,snapshot,served-usage}
 * with `Authorization: Bearer`, each under [entitlements.upstream] timeout_ms. Resolutions (and
 * refusals) are remembered for cache_s, keyed by the key's hash, so a flood of made-up keys costs
 * the authority one call each per cache_s at most. Every failure is an AuthorityDown, which callers
 * turn into a 503 with Retry-After 5 (fail closed).
 */
import { createHash } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectMetric } from '@willsoto/nestjs-prometheus';
import type { Counter } from 'prom-client';
import { request } from 'undici';
import { type AuthorityConfig, type CortexConfig, CortexError } from '@app/core';
import { CLOCK, type Clock, GATEWAY_CONFIG } from '../config/gateway.tokens';
import { G } from '../metrics/gateway-metrics';

export interface AuthorityPrincipal {
  accountId: string;
  keyId: string;
  share: number;
}

export type Reserved =
  | { reservationId: string }
  | {
      rejected: {
        kind: 'insufficient_quota' | 'rate_limited';
        requested: number;
        available: number;
        retryAfterS?: number;
      };
    };

export interface ServedRow {
  account_id: string;
  key_id: string;
  /** UTC day, YYYY-MM-DD. */
  period: string;
  /** Tokens served (prompt + completion) that day so far: an absolute counter. */
  served_tokens: number;
}

/** The authority could not be asked, or answered something other than its protocol. */
export class AuthorityDown extends Error {}

/** Most resolutions remembered at once (the oldest go first). */
const CACHE_MAX = 10_000;

/** A number the authority sent, or 0 for anything else. */
function num(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : 0;
}

export function authorityDown(): CortexError {
  return new CortexError('service_unavailable', 'entitlement authority temporarily unavailable', { retryAfterS: 5 });
}

@Injectable()
export class EntitlementAuthority {
  private readonly log = new Logger('Entitlements');
  private readonly cache = new Map<string, { principal: AuthorityPrincipal | null; until: number }>();
  private readonly warned = new Map<string, number>();

  constructor(
    @Inject(GATEWAY_CONFIG) private readonly cfg: CortexConfig,
    @Inject(CLOCK) private readonly clock: Clock,
    @InjectMetric(G.authorityErrors) private readonly errors: Counter<string>,
  ) {}

  get enabled(): boolean {
    return !!this.cfg.entitlements.upstream;
  }

  /** The principal the authority gives `apiKey`, or null when it says the key is invalid. */
  async resolve(apiKey: string): Promise<AuthorityPrincipal | null> {
    const id = createHash('sha256').update(apiKey).digest('hex');
    const now = this.clock.now();
    const known = this.cache.get(id);
    if (known && known.until > now) return known.principal;
    const r = await this.call('resolve', { api_key: apiKey }, [401]);
    let principal: AuthorityPrincipal | null = null;
    if (r.status !== 401) {
      const b = r.body as { account_id?: unknown; key_id?: unknown; share?: unknown };
      if (typeof b.account_id !== 'string' || !b.account_id) throw this.down('resolve', 'no account_id');
      const share = typeof b.share === 'number' && b.share > 0 && b.share <= 100 ? b.share : 1;
      const keyId = typeof b.key_id === 'string' && b.key_id ? b.key_id : b.account_id;
      principal = { accountId: b.account_id, keyId, share };
    }
    this.cache.delete(id);
    this.cache.set(id, { principal, until: now + this.upstream.cache_s * 1000 });
    for (const old of this.cache.keys()) {
      if (this.cache.size <= CACHE_MAX) break;
      this.cache.delete(old);
    }
    return principal;
  }

  async reserve(p: AuthorityPrincipal, maxTokens: number): Promise<Reserved> {
    const r = await this.call('reserve', { account_id: p.accountId, key_id: p.keyId, max_tokens: maxTokens });
    const b = r.body as { reservation_id?: unknown; rejected?: Record<string, unknown> };
    if (typeof b.reservation_id === 'string' && b.reservation_id) return { reservationId: b.reservation_id };
    const j = b.rejected;
    if (j && (j.kind === 'insufficient_quota' || j.kind === 'rate_limited')) {
      const retry = num(j.retry_after_secs);
      return {
        rejected: {
          kind: j.kind,
          requested: num(j.requested),
          available: num(j.available),
          ...(retry > 0 ? { retryAfterS: Math.ceil(retry) } : {}),
        },
      };
    }
    throw this.down('reserve', 'neither reservation_id nor rejected');
  }

  async settle(reservationId: string, actualTokens: number): Promise<void> {
    await this.call('settle', { reservation_id: reservationId, actual_tokens: actualTokens });
  }

  async release(reservationId: string): Promise<void> {
    await this.call('release', { reservation_id: reservationId });
  }

  async snapshot(p: AuthorityPrincipal): Promise<{ hard_cap: number | null; spent: number; reserved: number }> {
    const r = await this.call('snapshot', { account_id: p.accountId, key_id: p.keyId });
    const b = r.body as { hard_cap?: unknown; spent?: unknown; reserved?: unknown };
    return {
      hard_cap: typeof b.hard_cap === 'number' ? b.hard_cap : null,
      spent: num(b.spent),
      reserved: num(b.reserved),
    };
  }

  async servedUsage(rows: ServedRow[]): Promise<void> {
    await this.call('served-usage', { rows });
  }

  private get upstream(): AuthorityConfig {
    return this.cfg.entitlements.upstream!;
  }

  /** One call: a 2xx (or a status in `accepted`) with its JSON body, else an AuthorityDown. */
  private async call(name: string, body: unknown, accepted: number[] = []): Promise<{ status: number; body: unknown }> {
    const u = this.upstream;
    try {
      const res = await request(`${u.url.replace(/\/+$/, '')}/authz/v1/${name}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${u.bearer}` },
        body: JSON.stringify(body),
        headersTimeout: u.timeout_ms,
        bodyTimeout: u.timeout_ms,
        signal: AbortSignal.timeout(u.timeout_ms),
      });
      const text = await res.body.text();
      if (accepted.includes(res.statusCode)) return { status: res.statusCode, body: null };
      if (res.statusCode < 200 || res.statusCode >= 300) throw new Error(`HTTP ${res.statusCode}`);
      const parsed: unknown = text ? JSON.parse(text) : {};
      if (!parsed || typeof parsed !== 'object') throw new Error('not a JSON object');
      return { status: res.statusCode, body: parsed };
    } catch (err) {
      if (err instanceof AuthorityDown) throw err;
      throw this.down(name, (err as Error).message);
    }
  }

  private down(call: string, why: string): AuthorityDown {
    this.errors.inc({ call });
    // At most one warning a minute per call: an authority that is down says so without flooding the log.
    const now = Date.now();
    if (now - (this.warned.get(call) ?? 0) >= 60_000) {
      this.warned.set(call, now);
      this.log.warn(`entitlement authority: ${call} failed: ${why}`);
    }
    return new AuthorityDown(`${call}: ${why}`);
  }
}
