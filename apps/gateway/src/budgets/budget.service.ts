/**
 * Meters requests against their key's and account's token budgets ([[auth.keys]] and
 * [[auth.accounts]] hard_cap + window): before a request is sent it reserves its worst case (the
 * prompt estimated at a token per 4 bytes of its body, plus its max output: `max_tokens` in every
 * dialect, Responses' `max_output_tokens` included, or 4096 when it names none), and when it ends
 * it settles with the usage its client was told, or releases the reservation when there was none.
 * A spent rolling window is a 429 `rate_limit_exceeded` with Retry-After; a spent balance is a 429
 * `insufficient_quota` without one. With the shared store down, budgeted requests get a 503
 * ([state] budgets_when_down = "closed") or go unmetered ("open"), warned and counted.
 */
import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { InjectMetric } from '@willsoto/nestjs-prometheus';
import type { Counter } from 'prom-client';
import { type BudgetView, type Budgeted, type CortexConfig, CortexError } from '@app/core';
import type { Caller } from '../auth/caller';
import { CLOCK, type Clock, GATEWAY_CONFIG } from '../config/gateway.tokens';
import { G } from '../metrics/gateway-metrics';
import {
  type AuthorityPrincipal,
  EntitlementAuthority,
  type Reserved,
  authorityDown,
} from '../entitlements/entitlement-authority';
import { STATE_REDIS, type StateRedis, storeUnavailable } from '../state/state-redis';
import { type BudgetLine, BudgetLedger, type BudgetRefusal, type BudgetState } from './budget-ledger';

/** The output a request that names no max is reserved for (the reference's fallback). */
export const DEFAULT_OUTPUT_RESERVE = 4096;

/** A request's reservation: ended once, with the tokens its client was told it used (0 releases it). */
export interface Reservation {
  settle(tokens: number): void;
}

/** Principals of the authority GET /admin/budgets shows (the last ones that made requests). */
const UPSTREAM_SEEN = 100;

@Injectable()
export class BudgetService {
  private readonly upstreamSeen = new Map<string, AuthorityPrincipal>();

  constructor(
    @Inject(GATEWAY_CONFIG) private readonly cfg: CortexConfig,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly ledger: BudgetLedger,
    @Inject(STATE_REDIS) private readonly state: StateRedis | null,
    @InjectMetric(G.budgetRefused) private readonly refused: Counter<string>,
    private readonly authority: EntitlementAuthority,
  ) {}

  /**
   * Reserves the worst case of a request (its neuron path and OpenAI body, and the client's own text
   * of it when unchanged) on the caller's budgets, or throws the refusal. Null when none applies.
   */
  async reserve(caller: Caller | null, x: { path: string; body: object; raw?: string }): Promise<Reservation | null> {
    const lines = this.linesOf(caller);
    if (!lines.length && !caller?.authority) return null;
    const bytes = Buffer.byteLength(x.raw ?? JSON.stringify(x.body));
    const amount = Math.ceil(bytes / 4) + (x.path === '/v1/embeddings' ? 0 : maxOutput(x.body));
    if (caller?.authority) return this.reserveUpstream(caller, amount);
    const id = randomUUID();
    let refusal: BudgetRefusal | null;
    try {
      refusal = await this.ledger.reserve(lines, id, amount, this.clock.now());
    } catch (err) {
      this.state?.failed('budgets', 'a budget could not be reserved', err);
      if (this.cfg.state.budgets_when_down === 'open') return null;
      throw storeUnavailable('budget');
    }
    if (refusal) throw this.refusal(refusal, amount);
    return once((tokens) =>
      this.ledger
        .settle(lines, id, tokens, this.clock.now())
        .catch((err: unknown) => this.state?.failed('budgets', 'a budget reservation was not settled', err)),
    );
  }

  /** The reservation the entitlement authority holds for a principal it resolved (fail closed). */
  private async reserveUpstream(caller: Caller, amount: number): Promise<Reservation> {
    this.upstreamSeen.delete(caller.keyId);
    this.upstreamSeen.set(caller.keyId, { accountId: caller.accountId, keyId: caller.keyId, share: caller.share });
    if (this.upstreamSeen.size > UPSTREAM_SEEN) this.upstreamSeen.delete(this.upstreamSeen.keys().next().value!);
    let r: Reserved;
    try {
      r = await this.authority.reserve(caller, amount);
    } catch {
      throw authorityDown();
    }
    if ('rejected' in r) {
      const j = r.rejected;
      // Only the line's id names it in the refusal; the authority keeps the cap.
      const line = { id: `key:${caller.keyId}`, cap: 0, windowMs: 0 };
      throw this.refusal(
        { line, available: j.available, resetInMs: j.kind === 'rate_limited' ? (j.retryAfterS ?? 5) * 1000 : null },
        j.requested || amount,
      );
    }
    const { reservationId } = r;
    return once((tokens) =>
      // A failure is counted and warned by the authority's client.
      (tokens > 0 ? this.authority.settle(reservationId, tokens) : this.authority.release(reservationId)).catch(
        () => undefined,
      ),
    );
  }

  /** Every configured budget as it stands now (GET /admin/budgets). */
  async snapshot(): Promise<{ object: 'list'; data: BudgetView[] }> {
    const lines: BudgetLine[] = [];
    const seen = new Set<string>();
    for (const k of this.cfg.auth.keys) {
      const id = `key:${k.key_id ?? k.account_id}`;
      if (!seen.has(id)) lines.push(...lineOf(id, k));
      seen.add(id);
    }
    for (const a of this.cfg.auth.accounts) lines.push(...lineOf(`account:${a.account_id}`, a));
    let states: BudgetState[];
    try {
      states = lines.length ? await this.ledger.snapshot(lines, this.clock.now()) : [];
    } catch (err) {
      this.state?.failed('budgets', 'the budgets could not be read', err);
      throw storeUnavailable('budget');
    }
    const data: BudgetView[] = states.map((s, i) => ({
      line: s.line,
      kind: lines[i]!.windowMs ? ('rolling' as const) : ('balance' as const),
      cap: s.cap,
      spent: s.spent,
      reserved: s.reserved,
      available: Math.max(0, s.cap - s.spent - s.reserved),
      resets_in_s: s.resets_in_s,
    }));
    data.push(...(await this.upstreamViews()));
    return { object: 'list', data };
  }

  /** The authority's snapshot of each of its principals this replica served lately. */
  private async upstreamViews(): Promise<BudgetView[]> {
    const out: BudgetView[] = [];
    for (const p of this.upstreamSeen.values()) {
      const s = await this.authority.snapshot(p).catch(() => {
        throw authorityDown();
      });
      const available = s.hard_cap === null ? null : Math.max(0, s.hard_cap - s.spent - s.reserved);
      out.push({
        line: `key:${p.keyId}`,
        kind: 'authority',
        cap: s.hard_cap,
        spent: s.spent,
        reserved: s.reserved,
        available,
        resets_in_s: null,
      });
    }
    return out;
  }

  /** The budgets that apply to the caller: its key's and its account's, where they have a cap. */
  private linesOf(caller: Caller | null): BudgetLine[] {
    if (!caller) return [];
    const key = this.cfg.auth.keys.find((k) => (k.key_id ?? k.account_id) === caller.keyId);
    const account = this.cfg.auth.accounts.find((a) => a.account_id === caller.accountId);
    return [...lineOf(`key:${caller.keyId}`, key), ...lineOf(`account:${caller.accountId}`, account)];
  }

  private refusal(r: BudgetRefusal, requested: number): CortexError {
    const [scope, name] = r.line.id.split(/:(.*)/s) as [string, string];
    const who = `${scope} '${name}'`;
    const counts = `${requested} requested, ${r.available} available`;
    if (r.resetInMs === null) {
      this.refused.inc({ line: r.line.id, kind: 'balance' });
      return new CortexError('insufficient_quota', `${who}: hard balance exhausted (${counts})`);
    }
    const s = Math.max(1, Math.ceil(r.resetInMs / 1000));
    this.refused.inc({ line: r.line.id, kind: 'rolling' });
    return new CortexError(
      'rate_limit_exceeded',
      `${who}: rolling-window budget exhausted (${counts}); resets in ${s}s`,
      { retryAfterS: s },
    );
  }
}

/** A reservation that ends once, however often the pipeline says so. */
function once(end: (tokens: number) => Promise<unknown>): Reservation {
  let ended = false;
  return {
    settle: (tokens) => {
      if (ended) return;
      ended = true;
      void end(tokens);
    },
  };
}

/** A key's or an account's budget line, when it has a cap. */
function lineOf(id: string, b: Budgeted | undefined): BudgetLine[] {
  return b?.hard_cap ? [{ id, cap: b.hard_cap, windowMs: (b.window.seconds ?? 0) * 1000 }] : [];
}

/** The most output a request may have, as its OpenAI body says (every dialect's field ends here). */
function maxOutput(body: object): number {
  const b = body as { max_completion_tokens?: unknown; max_tokens?: unknown };
  const n = b.max_completion_tokens ?? b.max_tokens;
  return typeof n === 'number' && Number.isFinite(n) && n >= 0 ? Math.ceil(n) : DEFAULT_OUTPUT_RESERVE;
}
