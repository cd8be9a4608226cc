/**
 * Reports served usage to the entitlement authority every [entitlements.upstream]
 * served_usage_interval_s: per (account, key, UTC day), the tokens served that day so far (prompt +
 * completion), read from the usage ledger. Absolute counters, so a report sent twice, or by every
 * replica sharing one ledger in Redis, is the same upsert. Today and yesterday are sent, so the
 * last minutes of a day are reported after midnight too. Anonymous usage is not reported.
 */
import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { type CortexConfig, utcDay } from '@app/core';
import { CLOCK, type Clock, GATEWAY_CONFIG } from '../config/gateway.tokens';
import { UsageLedger } from '../usage/usage-ledger';
import { EntitlementAuthority, type ServedRow } from './entitlement-authority';

@Injectable()
export class ServedUsageReporter implements OnApplicationBootstrap, OnApplicationShutdown {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    @Inject(GATEWAY_CONFIG) private readonly cfg: CortexConfig,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly ledger: UsageLedger,
    private readonly authority: EntitlementAuthority,
  ) {}

  onApplicationBootstrap(): void {
    const every = this.cfg.entitlements.upstream?.served_usage_interval_s ?? 0;
    if (!every) return;
    this.timer = setInterval(() => void this.report().catch(() => undefined), every * 1000);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  /** One report (failures are counted and warned by the authority's client, and retried next time). */
  async report(): Promise<ServedRow[]> {
    const now = this.clock.now();
    const data = await this.ledger.query({ since: utcDay(now - 86_400_000), until: utcDay(now) });
    const rows = new Map<string, ServedRow>();
    for (const r of data) {
      if (r.account === 'anonymous') continue;
      const id = JSON.stringify([r.day, r.account, r.key]);
      const row = rows.get(id) ?? { account_id: r.account, key_id: r.key, period: r.day, served_tokens: 0 };
      row.served_tokens += r.prompt_tokens + r.completion_tokens;
      rows.set(id, row);
    }
    const out = [...rows.values()];
    if (out.length) await this.authority.servedUsage(out);
    return out;
  }
}
