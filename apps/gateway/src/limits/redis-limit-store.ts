/**
 * Per-key limits in Redis, shared by every gateway replica: one Lua script refills and takes from
 * the key's token buckets and seats atomically, so two replicas admitting at once cannot both take
 * the last request. Seats are leases (a replica that dies holding one gives it back when its lease
 * runs out). Times are the gateway's clock: replicas need synchronised clocks (NTP).
 */
import type { Redis } from 'ioredis';
import type { StateRedis } from '../state/state-redis';
import { type Admission, type KeyLimitConfig, KeyLimits, type LimitName, WINDOW_MS } from './key-limits';
import { LimitStore } from './limit-store';

/**
 * KEYS: the key's bucket hash, its seats (a sorted set scored by lease end).
 * ARGV: now, op (admit|charge), max_concurrent, rpm, tpm, tpd (0 = none), seat, lease ms, tokens.
 * Returns the refusing limit ('' when admitted) and the three levels after the call.
 */
const SCRIPT = `
local now = tonumber(ARGV[1])
local op = ARGV[2]
local maxc, rpm, tpm, tpd = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
local function level(p, limit, window)
  if limit <= 0 then return 0 end
  local l = tonumber(redis.call('HGET', KEYS[1], p .. 'l'))
  local at = tonumber(redis.call('HGET', KEYS[1], p .. 'at'))
  if not l then return limit end
  return math.min(limit, l + math.max(0, now - at) * limit / window)
end
local r = level('r', rpm, ${WINDOW_MS.requests})
local m = level('m', tpm, ${WINDOW_MS.perMinute})
local d = level('d', tpd, ${WINDOW_MS.perDay})
local refused = ''
if op == 'admit' then
  redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
  if maxc > 0 and redis.call('ZCARD', KEYS[2]) >= maxc then refused = 'concurrency'
  elseif rpm > 0 and r < 1 then refused = 'requests'
  elseif tpm > 0 and m <= 0 then refused = 'tokens_per_minute'
  elseif tpd > 0 and d <= 0 then refused = 'tokens_per_day' end
  if refused == '' then
    local lease = tonumber(ARGV[8])
    if maxc > 0 then
      redis.call('ZADD', KEYS[2], now + lease, ARGV[7])
      redis.call('PEXPIRE', KEYS[2], lease)
    end
    if rpm > 0 then r = r - 1 end
  end
else
  local n = tonumber(ARGV[9])
  if tpm > 0 then m = m - n end
  if tpd > 0 then d = d - n end
end
-- Only configured buckets are kept: one added by a reload later starts full.
local function save(p, limit, l)
  if limit > 0 then redis.call('HSET', KEYS[1], p .. 'l', tostring(l), p .. 'at', tostring(now)) end
end
save('r', rpm, r)
save('m', tpm, m)
save('d', tpd, d)
redis.call('PEXPIRE', KEYS[1], ${WINDOW_MS.perDay * 2})
return {refused, tostring(r), tostring(m), tostring(d)}
`;

const PREFIX = 'cortex:limits:';

type Limited = (keys: string[], args: Array<string | number>) => Promise<[string, string, string, string]>;

export class RedisLimitStore extends LimitStore {
  private readonly run: Limited;
  private readonly redis: Redis;

  constructor(
    state: StateRedis,
    /** How long a seat is held at most: longer than any request may run. */
    private readonly leaseMs: number,
  ) {
    super();
    const redis = state.client;
    redis.defineCommand('cortexLimits', { numberOfKeys: 2, lua: SCRIPT });
    const call = (redis as unknown as { cortexLimits: (...a: Array<string | number>) => Promise<unknown> })
      .cortexLimits;
    this.run = (keys, args) => call.call(redis, ...keys, ...args) as ReturnType<Limited>;
    this.redis = redis;
  }

  async admit(keyId: string, cfg: KeyLimitConfig, seat: string, now: number): Promise<Admission> {
    const [refused, r, m, d] = await this.call(keyId, cfg, now, 'admit', seat, 0);
    const levels = { requests: Number(r), perMinute: Number(m), perDay: Number(d) };
    return KeyLimits.decided(cfg, (refused || null) as LimitName | null, levels, now);
  }

  async release(keyId: string, seat: string): Promise<void> {
    await this.redis.zrem(`${PREFIX}${keyId}:seats`, seat);
  }

  async charge(keyId: string, cfg: KeyLimitConfig, tokens: number, now: number): Promise<void> {
    await this.call(keyId, cfg, now, 'charge', '', tokens);
  }

  private call(keyId: string, cfg: KeyLimitConfig, now: number, op: string, seat: string, tokens: number) {
    const keys = [`${PREFIX}${keyId}`, `${PREFIX}${keyId}:seats`];
    return this.run(keys, [
      now,
      op,
      cfg.max_concurrent ?? 0,
      cfg.requests_per_minute ?? 0,
      cfg.tokens_per_minute ?? 0,
      cfg.tokens_per_day ?? 0,
      seat,
      this.leaseMs,
      tokens,
    ]);
  }
}
