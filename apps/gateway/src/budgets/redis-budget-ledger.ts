/**
 * Budgets in Redis, shared by every gateway replica: one hash per line (spent, window start, and one
 * field per live reservation), changed only by Lua scripts, so reservations on two replicas at once
 * can never both take the last tokens. A reservation is a lease: one left by a replica that died
 * stops counting when its lease ends (longer than any request may run).
 */
import type { Redis } from 'ioredis';
import type { StateRedis } from '../state/state-redis';
import { type BudgetLine, BudgetLedger, type BudgetRefusal, type BudgetState } from './budget-ledger';

/** Reads a line's hash into spent, start and the live reservations' sum, dropping expired ones. */
const READ = `
local function read(key, now, window)
  local h = redis.call('HGETALL', key)
  local spent, start, reserved = 0, nil, 0
  for j = 1, #h, 2 do
    local f, v = h[j], h[j + 1]
    if f == 'spent' then spent = tonumber(v)
    elseif f == 'start' then start = tonumber(v)
    elseif string.sub(f, 1, 2) == 'r:' then
      local amount, lease = string.match(v, '^(%d+):(%d+)$')
      if tonumber(lease) < now then redis.call('HDEL', key, f) else reserved = reserved + tonumber(amount) end
    end
  end
  if not start or (window > 0 and now - start >= window) then
    if start then spent = 0 end
    start = now
    redis.call('HSET', key, 'spent', spent, 'start', start)
  end
  return spent, start, reserved
end
`;

/**
 * KEYS: the lines. ARGV: now, amount, reservation id, lease end, then each line's cap and window.
 * Returns {0} when reserved, else {line index, available, ms until its window starts again (-1: none)}.
 */
const RESERVE = `${READ}
local now, amount = tonumber(ARGV[1]), tonumber(ARGV[2])
for i = 1, #KEYS do
  local cap, window = tonumber(ARGV[3 + 2 * i]), tonumber(ARGV[4 + 2 * i])
  local spent, start, reserved = read(KEYS[i], now, window)
  local available = cap - spent - reserved
  if amount > available then
    local reset = -1
    if window > 0 then reset = start + window - now end
    return {i, math.max(0, available), reset}
  end
end
for i = 1, #KEYS do redis.call('HSET', KEYS[i], 'r:' .. ARGV[3], ARGV[2] .. ':' .. ARGV[4]) end
return {0}
`;

/** KEYS: the lines. ARGV: reservation id, tokens spent. */
const SETTLE = `
for i = 1, #KEYS do
  redis.call('HDEL', KEYS[i], 'r:' .. ARGV[1])
  if tonumber(ARGV[2]) > 0 then redis.call('HINCRBY', KEYS[i], 'spent', ARGV[2]) end
end
return 0
`;

/** KEYS: the lines. ARGV: now, then each line's window. Returns spent, reserved and reset per line. */
const SNAPSHOT = `${READ}
local out = {}
for i = 1, #KEYS do
  local window = tonumber(ARGV[1 + i])
  local spent, start, reserved = read(KEYS[i], tonumber(ARGV[1]), window)
  local reset = -1
  if window > 0 then reset = start + window - tonumber(ARGV[1]) end
  table.insert(out, spent)
  table.insert(out, reserved)
  table.insert(out, reset)
end
return out
`;

const PREFIX = 'cortex:budget:';

type Script = (...args: Array<string | number>) => Promise<number[]>;

export class RedisBudgetLedger extends BudgetLedger {
  private readonly scripts: Record<'reserve' | 'settle' | 'snapshot', Script>;

  constructor(
    state: StateRedis,
    /** How long a reservation counts at most: longer than any request may run. */
    private readonly leaseMs: number,
  ) {
    super();
    const redis: Redis = state.client;
    const define = (name: string, lua: string): Script => {
      redis.defineCommand(name, { lua });
      const fn = (redis as unknown as Record<string, Script>)[name]!;
      return (...args) => fn.call(redis, ...args);
    };
    this.scripts = {
      reserve: define('cortexBudgetReserve', RESERVE),
      settle: define('cortexBudgetSettle', SETTLE),
      snapshot: define('cortexBudgetSnapshot', SNAPSHOT),
    };
  }

  async reserve(lines: BudgetLine[], id: string, amount: number, now: number): Promise<BudgetRefusal | null> {
    const caps = lines.flatMap((l) => [l.cap, l.windowMs]);
    const got = await this.scripts.reserve(...keys(lines), now, amount, id, now + this.leaseMs, ...caps);
    if (!got[0]) return null;
    const [i, available, reset] = got as [number, number, number];
    return { line: lines[i - 1]!, available, resetInMs: reset < 0 ? null : reset };
  }

  async settle(lines: BudgetLine[], id: string, spent: number): Promise<void> {
    await this.scripts.settle(...keys(lines), id, spent);
  }

  async snapshot(lines: BudgetLine[], now: number): Promise<BudgetState[]> {
    const got = await this.scripts.snapshot(...keys(lines), now, ...lines.map((l) => l.windowMs));
    return lines.map((line, i) => ({
      line: line.id,
      cap: line.cap,
      spent: got[3 * i]!,
      reserved: got[3 * i + 1]!,
      resets_in_s: got[3 * i + 2]! < 0 ? null : Math.ceil(got[3 * i + 2]! / 1000),
    }));
  }
}

/** ioredis takes a script's keys first, after their count. */
function keys(lines: BudgetLine[]): Array<string | number> {
  return [lines.length, ...lines.map((l) => `${PREFIX}${l.id}`)];
}
