/** `cortex usage`: what each account's keys used of each model per UTC day (GET /admin/usage). */
import { Command, Option } from 'nest-commander';
import type { UsageReport, UsageRow } from '@app/core';
import { UsageError } from '../support/cli-error';
import { GatewayClient, type Target } from '../support/gateway-client';
import { GatewayCommand } from './target-options';

interface UsageFlags extends Target {
  since?: string;
  until?: string;
  account?: string;
  json?: boolean;
}

const COLUMNS: Array<[string, (r: UsageRow) => string | number]> = [
  ['day', (r) => r.day],
  ['account', (r) => r.account],
  ['key', (r) => r.key],
  ['model', (r) => r.model],
  ['requests', (r) => r.requests],
  ['prompt', (r) => r.prompt_tokens],
  ['cached', (r) => r.cached_tokens],
  ['completion', (r) => r.completion_tokens],
  ['reasoning', (r) => r.reasoning_tokens],
  ['errors', (r) => r.errors],
];

/** The report as a table: one line per row, numbers right-aligned, and a total line. */
export function usageTable(report: UsageReport): string {
  if (!report.data.length) return 'no usage recorded for this period\n';
  const total = { day: 'total', account: '', key: '', model: '', ...report.totals };
  const cells = [...report.data, total].map((r) => COLUMNS.map(([, get]) => String(get(r))));
  const head = COLUMNS.map(([name]) => name);
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: string[]) =>
    c
      .map((v, i) => (i < 4 ? v.padEnd(widths[i]!) : v.padStart(widths[i]!)))
      .join('  ')
      .trimEnd();
  return `${[head, ...cells].map(line).join('\n')}\n`;
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;

@Command({ name: 'usage', description: 'tokens and requests per account, key, model and UTC day (admin)' })
export class UsageCommand extends GatewayCommand {
  constructor(private readonly client: GatewayClient) {
    super();
  }

  async run(_args: string[], flags: UsageFlags): Promise<void> {
    const q = new URLSearchParams();
    if (flags.since) q.set('since', flags.since);
    if (flags.until) q.set('until', flags.until);
    if (flags.account) q.set('account', flags.account);
    const query = q.size ? `?${q}` : '';
    const report = await this.client.call<UsageReport>(this.target(flags), 'GET', `/admin/usage${query}`);
    process.stdout.write(flags.json ? `${JSON.stringify(report, null, 2)}\n` : usageTable(report));
  }

  @Option({ flags: '--since <day>', description: 'first UTC day, YYYY-MM-DD (default: all kept)' })
  parseSince(raw: string): string {
    return day('--since', raw);
  }

  @Option({ flags: '--until <day>', description: 'last UTC day, YYYY-MM-DD (included)' })
  parseUntil(raw: string): string {
    return day('--until', raw);
  }

  @Option({ flags: '--account <id>', description: 'only this account' })
  parseAccount(raw: string): string {
    return raw;
  }

  @Option({ flags: '--json', description: 'print the report as JSON' })
  parseJson(): boolean {
    return true;
  }
}

function day(flag: string, raw: string): string {
  if (!DAY.test(raw)) throw new UsageError(`${flag}: expected a UTC day as YYYY-MM-DD, got ${raw}`);
  return raw;
}
