/**
 * The usage ledger in Redis ([state] redis_url), so every gateway replica adds to one ledger and it
 * survives their restarts. One hash per (day, account, key, model) line, counted with HINCRBY in one
 * MULTI, and a set per day naming its lines. Every call has a deadline ([state] timeout_ms); a write
 * that fails is logged and counted, never the request's failure; a query that fails is a 503.
 */
import { CortexError, type UsageRow, utcDay } from '@app/core';
import type { StateRedis } from '../state/state-redis';
import {
  type Counts,
  type UsageEntry,
  UsageLedger,
  type UsageQuery,
  deltaOf,
  matches,
  order,
  zero,
} from './usage-ledger';

const PREFIX = 'cortex:usage:';
const FIELDS = Object.keys(zero()) as Array<keyof Counts>;
/** Days one query covers at most (from `until` back): a longer span is cut to its last 400 days. */
const DAYS_BACK = 400;

export class RedisUsageLedger extends UsageLedger {
  private readonly redis;

  constructor(private readonly state: StateRedis) {
    super();
    this.redis = state.client;
  }

  record(e: UsageEntry): void {
    const day = utcDay(e.at);
    const line = JSON.stringify([e.account, e.key, e.model]);
    const key = `${PREFIX}${day}:${line}`;
    const tx = this.redis.multi().sadd(`${PREFIX}${day}`, line);
    for (const [field, n] of Object.entries(deltaOf(e))) if (n) tx.hincrby(key, field, n);
    tx.exec().catch((err: Error) => this.state.failed('usage', 'a usage line was not recorded', err));
  }

  async query(q: UsageQuery): Promise<UsageRow[]> {
    try {
      const rows: UsageRow[] = [];
      const span = days(q);
      const sets = this.redis.pipeline();
      for (const day of span) sets.smembers(`${PREFIX}${day}`);
      const members = (await sets.exec()) ?? [];
      const wanted: Array<{ day: string; who: [string, string, string]; line: string }> = [];
      span.forEach((day, i) => {
        const [err, lines] = members[i] ?? [null, []];
        if (err) throw err;
        for (const line of lines as string[]) {
          const who = JSON.parse(line) as [string, string, string];
          if (matches({ day, account: who[0] }, q)) wanted.push({ day, who, line });
        }
      });
      const p = this.redis.pipeline();
      for (const { day, line } of wanted) p.hgetall(`${PREFIX}${day}:${line}`);
      const got = (await p.exec()) ?? [];
      wanted.forEach(({ day, who }, i) => {
        const [err, h] = got[i] ?? [null, {}];
        if (err) throw err;
        const row: UsageRow = { day, account: who[0], key: who[1], model: who[2], ...zero() };
        for (const f of FIELDS) row[f] = Number((h as Record<string, string>)[f] ?? 0);
        rows.push(row);
      });
      return rows.sort((a, b) => order(a).localeCompare(order(b)));
    } catch (err) {
      this.state.failed('usage', 'the usage ledger could not be read', err);
      throw new CortexError(
        'service_unavailable',
        `the usage ledger's store is unavailable: ${(err as Error).message}`,
        {
          retryAfterS: 5,
        },
      );
    }
  }
}

/** The UTC days a query covers (at most DAYS_BACK, ending at `until` or today), oldest first. */
function days(q: UsageQuery): string[] {
  const until = Date.parse(`${q.until ?? utcDay(Date.now())}T00:00:00Z`);
  const since = Math.max(q.since ? Date.parse(`${q.since}T00:00:00Z`) : 0, until - (DAYS_BACK - 1) * 86_400_000);
  const out: string[] = [];
  for (let t = since; t <= until; t += 86_400_000) out.push(utcDay(t));
  return out;
}
