/**
 * The usage ledger's contract (GET /admin/usage, `cortex usage`): what each account's keys used of
 * each model per UTC day, as clients were told in their answers' `usage`.
 */

/** One (UTC day, account, key, model)'s totals. */
export interface UsageRow {
  /** YYYY-MM-DD, UTC. */
  day: string;
  account: string;
  key: string;
  model: string;
  requests: number;
  prompt_tokens: number;
  cached_tokens: number;
  completion_tokens: number;
  reasoning_tokens: number;
  /** Requests that ended with an error (the client leaving is not one). */
  errors: number;
}

/** GET /admin/usage?since=&until=&account= */
export interface UsageReport {
  object: 'list';
  since: string | null;
  until: string | null;
  data: UsageRow[];
  totals: Omit<UsageRow, 'day' | 'account' | 'key' | 'model'>;
}

/** A time as its UTC day, YYYY-MM-DD. */
export const utcDay = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

/** One token budget as it stands (GET /admin/budgets): a key's or an account's. */
export interface BudgetView {
  /** `key:<key_id>` or `account:<account_id>`. */
  line: string;
  /** `authority`: the entitlement authority's figures for a key it resolved. */
  kind: 'balance' | 'rolling' | 'authority';
  /** null: uncapped (the authority's principals only). */
  cap: number | null;
  spent: number;
  /** Held by requests still running (their worst case). */
  reserved: number;
  available: number | null;
  /** Rolling only: seconds until the window starts again. */
  resets_in_s: number | null;
}
