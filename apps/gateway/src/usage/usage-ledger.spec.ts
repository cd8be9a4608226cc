import { describe, expect, it } from 'vitest';
import { MemoryUsageLedger, type UsageEntry } from './usage-ledger';

const DAY = Date.UTC(2026, 11, 3, 12);
const entry = (over: Partial<UsageEntry> = {}): UsageEntry => ({
  at: DAY,
  account: 'team',
  key: 'k1',
  model: 'm',
  prompt: 10,
  cached: 4,
  completion: 5,
  reasoning: 2,
  failed: false,
  ...over,
});

describe(MemoryUsageLedger.name, () => {
  it('sums requests, tokens and errors per UTC day, account, key and model', async () => {
    const l = new MemoryUsageLedger();
    l.record(entry());
    l.record(entry({ prompt: 1, cached: 0, completion: 1, reasoning: 0, failed: true }));
    l.record(entry({ model: 'other' }));
    l.record(entry({ at: DAY + 86_400_000 }));
    const row = (day: string, model: string, over: object = {}) => ({
      day,
      account: 'team',
      key: 'k1',
      model,
      requests: 1,
      prompt_tokens: 10,
      cached_tokens: 4,
      completion_tokens: 5,
      reasoning_tokens: 2,
      errors: 0,
      ...over,
    });
    expect(await l.query({})).toEqual([
      row('2026-12-03', 'm', { requests: 2, prompt_tokens: 11, completion_tokens: 6, errors: 1 }),
      row('2026-12-03', 'other'),
      row('2026-12-04', 'm'),
    ]);
  });

  it('filters by days (both included) and account', async () => {
    const l = new MemoryUsageLedger();
    l.record(entry());
    l.record(entry({ account: 'other', key: 'k2' }));
    l.record(entry({ at: DAY + 86_400_000 }));
    expect((await l.query({ since: '2026-12-04' })).map((r) => r.day)).toEqual(['2026-12-04']);
    expect(await l.query({ until: '2026-12-03' })).toHaveLength(2);
    expect((await l.query({ account: 'other' })).map((r) => r.key)).toEqual(['k2']);
  });

  it('stays bounded: the oldest day goes first', async () => {
    const l = new MemoryUsageLedger(2);
    l.record(entry());
    l.record(entry({ at: DAY + 86_400_000 }));
    l.record(entry({ at: DAY + 2 * 86_400_000 }));
    expect((await l.query({})).map((r) => r.day)).toEqual(['2026-12-04', '2026-12-05']);
  });
});
