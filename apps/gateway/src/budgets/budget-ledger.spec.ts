import { describe, expect, it } from 'vitest';
import { MemoryBudgetLedger } from './budget-ledger';

const balance = { id: 'key:k', cap: 100, windowMs: 0 };
const rolling = { id: 'account:a', cap: 50, windowMs: 60_000 };

describe('MemoryBudgetLedger', () => {
  it('counts reservations against the cap until they settle, and a release gives them back', async () => {
    const l = new MemoryBudgetLedger();
    expect(await l.reserve([balance], 'r1', 60, 0)).toBeNull();
    expect(await l.reserve([balance], 'r2', 60, 0)).toEqual({ line: balance, available: 40, resetInMs: null });
    await l.settle([balance], 'r1', 10, 0);
    expect(await l.reserve([balance], 'r2', 60, 0)).toBeNull();
    await l.settle([balance], 'r2', 0, 0); // released
    expect(await l.snapshot([balance], 0)).toEqual([
      { line: 'key:k', cap: 100, spent: 10, reserved: 0, resets_in_s: null },
    ]);
  });

  it('reserves on every line or on none, and a rolling window starts again when it runs out', async () => {
    const l = new MemoryBudgetLedger();
    expect(await l.reserve([balance, rolling], 'r1', 40, 0)).toBeNull();
    await l.settle([balance, rolling], 'r1', 40, 1000);
    const refused = await l.reserve([balance, rolling], 'r2', 20, 1000);
    expect(refused).toEqual({ line: rolling, available: 10, resetInMs: 59_000 });
    expect((await l.snapshot([balance], 1000))[0]!.reserved).toBe(0); // the balance took nothing
    expect(await l.reserve([balance, rolling], 'r2', 20, 60_000)).toBeNull();
    // The balance never starts again: 40 + 20 reserved of 100.
    expect(await l.reserve([balance], 'r3', 41, 60_000)).toMatchObject({ available: 40 });
  });
});
