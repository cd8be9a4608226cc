/**
 * The usage ledger in Redis ([state] redis_url), so every gateway replica adds to one ledger and it
 * survives their restarts. One hash per (day, account, key, model) line, counted with HINCRBY in one
 * MULTI, and a set per day naming its lines. Every call has a deadline ([state] timeout_ms); a write
 * that fails is logged and counted, never the request's failure; a query that fails is a 503.
 */
import { Logger, type OnApplicationShutdown } from '@nestjs/common';
import { Redis } from 'ioredis';
import type { Counter } from 'prom-client';
import { CortexError, type UsageRow, utcDay } from '@app/core';
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

export class RedisUsageLedger extends UsageLedger implements OnApplicationShutdown {
  private readonly log = new Logger('UsageLedger');
  private readonly redis: Redis;
  private warned = 0;

  constructor(
    url: string,
    timeoutMs: number,
    private readonly failures: Counter<string>,
  ) {
    super();
    this.redis = new Redis(url, {
      commandTimeout: timeoutMs,
      connectTimeout: timeoutMs,
      maxRetriesPerRequest: 1,
      // While Redis is away, calls fail at once instead of queueing without bound.
      enableOfflineQueue: false,
      lazyConnect: false,
    });
    this.redis.on('error', (err: Error) => this.warn(`redis: ${err.message}`));
  }

  record(e: UsageEntry): void {
    const day = utcDay(e.at);
    const line = JSON.stringify([e.account, e.key, e.model]);
    const key = `${PREFIX}${day}:${line}`;
    const tx = this.redis.multi().sadd(`${PREFIX}${day}`, line);
    for (const [field, n] of Object.entries(deltaOf(e))) if (n) tx.hincrby(key, field, n);
    tx.exec().catch((err: Error) => {
      this.failures.inc({ concern: 'usage' });
      this.warn(`a usage line was not recorded: ${err.message}`);
    });
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
      this.failures.inc({ concern: 'usage' });
      throw new CortexError(
        'service_unavailable',
        `the usage ledger's store is unavailable: ${(err as Error).message}`,
        {
          retryAfterS: 5,
        },
      );
    }
  }

  async onApplicationShutdown(): Promise<void> {
    // Lines still on their way are written before the connection closes.
    await this.redis.quit().catch(() => this.redis.disconnect());
  }

  /** At most one warning a minute: a store that is down says so without flooding the log. */
  private warn(message: string): void {
    const now = Date.now();
    if (now - this.warned < 60_000) return;
    this.warned = now;
    this.log.warn(message);
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
