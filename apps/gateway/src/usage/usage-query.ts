/**
 * GET /admin/usage's query (since, until: YYYY-MM-DD UTC days, both included; account) checked, and
 * the ledger's rows with their totals. A malformed query is a 400 naming the field.
 */
import { CortexError, type UsageReport } from '@app/core';
import { type Counts, type UsageLedger, type UsageQuery, zero } from './usage-ledger';

const DAY = /^\d{4}-\d{2}-\d{2}$/;

function day(query: Record<string, unknown>, name: 'since' | 'until'): string | undefined {
  const v = query[name];
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || !DAY.test(v) || Number.isNaN(Date.parse(`${v}T00:00:00Z`))) {
    throw new CortexError('invalid_body', `${name}: expected a UTC day as YYYY-MM-DD`, { param: name });
  }
  return v;
}

export function parseUsageQuery(query: Record<string, unknown>): UsageQuery {
  const account = query.account;
  if (account !== undefined && (typeof account !== 'string' || !account || account.length > 256)) {
    throw new CortexError('invalid_body', 'account: expected an account id (1 to 256 characters)', {
      param: 'account',
    });
  }
  return { since: day(query, 'since'), until: day(query, 'until'), ...(account ? { account } : {}) };
}

export async function usageReport(ledger: UsageLedger, query: Record<string, unknown>): Promise<UsageReport> {
  const q = parseUsageQuery(query);
  const data = await ledger.query(q);
  const totals = zero();
  for (const r of data) for (const k of Object.keys(totals) as Array<keyof Counts>) totals[k] += r[k];
  return { object: 'list', since: q.since ?? null, until: q.until ?? null, data, totals };
}
