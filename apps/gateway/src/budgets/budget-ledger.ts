/**
 * Token budgets with reservations, as the reference cortex keeps them (cortex-behaviour.md §10.1):
 * each budget line (a key's, an account's) has a cap, what was spent and what is reserved; a
 * request reserves its worst case before it is sent, and settles with its actual usage (or
 * releases). A rolling window starts again `window` after it began; a balance never does. A port
 * with two adapters: this replica's memory (here) and Redis (redis-budget-ledger.ts), shared by
 * every replica.
 */

export interface BudgetLine {
  /** `key:<key_id>` or `account:<account_id>`. */
  id: string;
  cap: number;
  /** Rolling window length; 0 = a hard balance. */
  windowMs: number;
}

/** Which line refused, what it had left, and (rolling only) when its window starts again. */
export interface BudgetRefusal {
  line: BudgetLine;
  available: number;
  resetInMs: number | null;
}

export abstract class BudgetLedger {
  /** Reserves `amount` on every line at once, or none and says which line refused. */
  abstract reserve(lines: BudgetLine[], id: string, amount: number, now: number): Promise<BudgetRefusal | null>;
  /** Ends a reservation: `spent` tokens are spent (0 releases it). */
  abstract settle(lines: BudgetLine[], id: string, spent: number, now: number): Promise<void>;
  /** Each line's state (the operators' view). */
  abstract snapshot(lines: BudgetLine[], now: number): Promise<BudgetState[]>;
}

export interface BudgetState {
  line: string;
  cap: number;
  spent: number;
  reserved: number;
  /** Rolling only: when the window starts again. */
  resets_in_s: number | null;
}

interface Ledger {
  spent: number;
  start: number;
  reservations: Map<string, number>;
}

export class MemoryBudgetLedger extends BudgetLedger {
  private readonly ledgers = new Map<string, Ledger>();

  reserve(lines: BudgetLine[], id: string, amount: number, now: number): Promise<BudgetRefusal | null> {
    for (const line of lines) {
      const l = this.ledger(line, now);
      const available = line.cap - l.spent - sum(l.reservations);
      if (amount > available) {
        const resetInMs = line.windowMs ? Math.max(0, l.start + line.windowMs - now) : null;
        return Promise.resolve({ line, available: Math.max(0, available), resetInMs });
      }
    }
    for (const line of lines) this.ledger(line, now).reservations.set(id, amount);
    return Promise.resolve(null);
  }

  settle(lines: BudgetLine[], id: string, spent: number, now: number): Promise<void> {
    for (const line of lines) {
      const l = this.ledger(line, now);
      l.reservations.delete(id);
      l.spent += spent;
    }
    return Promise.resolve();
  }

  snapshot(lines: BudgetLine[], now: number): Promise<BudgetState[]> {
    return Promise.resolve(
      lines.map((line) => {
        const l = this.ledger(line, now);
        const resets = line.windowMs ? Math.ceil((l.start + line.windowMs - now) / 1000) : null;
        return { line: line.id, cap: line.cap, spent: l.spent, reserved: sum(l.reservations), resets_in_s: resets };
      }),
    );
  }

  /** The line's ledger, its rolling window started again when it has run out. */
  private ledger(line: BudgetLine, now: number): Ledger {
    let l = this.ledgers.get(line.id);
    if (!l) this.ledgers.set(line.id, (l = { spent: 0, start: now, reservations: new Map() }));
    if (line.windowMs && now - l.start >= line.windowMs) {
      l.spent = 0;
      l.start = now;
    }
    return l;
  }
}

function sum(m: Map<string, number>): number {
  let n = 0;
  for (const v of m.values()) n += v;
  return n;
}
