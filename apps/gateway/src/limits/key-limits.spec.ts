import { describe, expect, it } from 'vitest';
import { KeyLimits } from './key-limits';

describe('KeyLimits', () => {
  it('holds seats: a second request waits for the first to finish', () => {
    const k = new KeyLimits({ max_concurrent: 1 }, 0);
    expect(k.admit(0).ok).toBe(true);
    expect(k.admit(0)).toMatchObject({ ok: false, limit: 'concurrency', retryAfterS: 1 });
    k.release();
    expect(k.admit(0).ok).toBe(true);
  });

  it('refills requests continuously: 60/min is one a second', () => {
    const k = new KeyLimits({ requests_per_minute: 60 }, 0);
    for (let i = 0; i < 60; i++) expect(k.admit(0).ok).toBe(true);
    expect(k.admit(0)).toMatchObject({ ok: false, limit: 'requests', retryAfterS: 1 });
    expect(k.admit(1000).ok).toBe(true);
    expect(k.view(1000).requests).toMatchObject({ limit: 60, remaining: 0, resetS: 60 });
  });

  it('charges tokens after the fact: an overdraft refuses until the minute has refilled it', () => {
    const k = new KeyLimits({ tokens_per_minute: 100, tokens_per_day: 10_000 }, 0);
    expect(k.admit(0).ok).toBe(true);
    k.charge(250, 0);
    const refused = k.admit(1000);
    expect(refused).toMatchObject({ ok: false, limit: 'tokens_per_minute' });
    expect((refused as { retryAfterS: number }).retryAfterS).toBeGreaterThanOrEqual(89); // 150 tokens short at 100/min
    expect(k.admit(91_000).ok).toBe(true);
    expect(k.view(91_000).tokens).toMatchObject({ limit: 100 }); // the tighter of the two buckets
  });

  it('reads a shared store’s decision like its own: the same refusal, wait and headers', () => {
    const cfg = { requests_per_minute: 60, tokens_per_minute: 100 };
    const own = new KeyLimits(cfg, 0);
    own.charge(150, 0);
    const decided = KeyLimits.decided(cfg, 'tokens_per_minute', { requests: 60, perMinute: -50 }, 0);
    expect(decided).toEqual(own.admit(0));
    expect(decided).toMatchObject({ ok: false, limit: 'tokens_per_minute', retryAfterS: 31 });
  });
});
