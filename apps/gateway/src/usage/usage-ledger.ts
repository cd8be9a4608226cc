/**
 * The usage ledger: each answered request's usage, as its client was told it, summed per (UTC day,
 * account, key, model). A port, so a shared store can hold it for several replicas; the in-memory
 * adapter is the default (one gateway; it starts empty after a restart).
 */
import { type UsageRow, utcDay } from '@app/core';

/** One finished request, as the ledger records it. */
export interface UsageEntry {
  at: number;
  account: string;
  key: string;
  model: string;
  prompt: number;
  cached: number;
  completion: number;
  reasoning: number;
  failed: boolean;
}

export interface UsageQuery {
  /** First and last UTC day (YYYY-MM-DD), both included; unset: unbounded. */
  since?: string;
  until?: string;
  account?: string;
}

export abstract class UsageLedger {
  /** Never throws and never waits: a store that fails loses the line, logged and counted. */
  abstract record(e: UsageEntry): void;
  /** Rows in (day, account, key, model) order. */
  abstract query(q: UsageQuery): Promise<UsageRow[]>;
}

/** Rows kept at most; beyond, the oldest day goes first (a year of 270 key-model pairs a day). */
export const MAX_ROWS = 100_000;

export class MemoryUsageLedger extends UsageLedger {
  private readonly rows = new Map<string, UsageRow>();

  constructor(private readonly maxRows = MAX_ROWS) {
    super();
  }

  record(e: UsageEntry): void {
    const day = utcDay(e.at);
    const id = JSON.stringify([day, e.account, e.key, e.model]);
    let row = this.rows.get(id);
    if (!row) {
      row = { day, account: e.account, key: e.key, model: e.model, ...zero() };
      this.rows.set(id, row);
      if (this.rows.size > this.maxRows) this.dropOldestDay();
    }
    for (const [field, n] of Object.entries(deltaOf(e)) as Array<[keyof Counts, number]>) row[field] += n;
  }

  query(q: UsageQuery): Promise<UsageRow[]> {
    return Promise.resolve(this.select(q));
  }

  private select(q: UsageQuery): UsageRow[] {
    return [...this.rows.values()]
      .filter((r) => matches(r, q))
      .map((r) => ({ ...r }))
      .sort((a, b) => order(a).localeCompare(order(b)));
  }

  private dropOldestDay(): void {
    let oldest: string | undefined;
    for (const r of this.rows.values()) if (!oldest || r.day < oldest) oldest = r.day;
    for (const [id, r] of this.rows) if (r.day === oldest) this.rows.delete(id);
  }
}

export const order = (r: UsageRow) => JSON.stringify([r.day, r.account, r.key, r.model]);

/** Whether a row is in the query's days and account. */
export function matches(r: Pick<UsageRow, 'day' | 'account'>, q: UsageQuery): boolean {
  return (
    (!q.since || r.day >= q.since) &&
    (!q.until || r.day <= q.until) &&
    (q.account === undefined || r.account === q.account)
  );
}

/** A line's counts, without its day, account, key and model. */
export type Counts = Omit<UsageRow, 'day' | 'account' | 'key' | 'model'>;

export function zero(): Counts {
  return { requests: 0, prompt_tokens: 0, cached_tokens: 0, completion_tokens: 0, reasoning_tokens: 0, errors: 0 };
}

/** What one request adds to its line, whatever store keeps it. */
export function deltaOf(e: UsageEntry): Counts {
  return {
    requests: 1,
    prompt_tokens: e.prompt,
    cached_tokens: e.cached,
    completion_tokens: e.completion,
    reasoning_tokens: e.reasoning,
    errors: e.failed ? 1 : 0,
  };
}
