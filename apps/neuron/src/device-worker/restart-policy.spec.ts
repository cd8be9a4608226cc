import { describe, expect, it } from 'vitest';
import { isCrashLooping, recentCrashes, restartDelayMs } from './restart-policy';

describe('restart policy', () => {
  it('backs off from 1 s, doubling, capped at 30 s', () => {
    expect([1, 2, 3, 4, 5, 6, 7].map(restartDelayMs)).toEqual([1000, 2000, 4000, 8000, 16000, 30000, 30000]);
  });

  it('calls 5 crashes within 2 minutes a crash loop, and forgets older ones', () => {
    const now = 1_000_000;
    const four = [now - 1000, now - 2000, now - 3000, now - 4000];
    expect(isCrashLooping(four, now)).toBe(false);
    expect(isCrashLooping([...four, now], now)).toBe(true);
    expect(isCrashLooping([...four, now - 121_000], now)).toBe(false);
    expect(recentCrashes([now - 130_000, now - 10], now)).toEqual([now - 10]);
  });
});
