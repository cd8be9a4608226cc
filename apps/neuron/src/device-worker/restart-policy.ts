/**
 * Restart policy for device workers, as pure functions: exponential backoff from 1 s capped at 30 s,
 * and a crash-loop guard (5 crashes within 2 minutes marks the device failed).
 */
export const BACKOFF_START_MS = 1000;
export const BACKOFF_CAP_MS = 30_000;
export const CRASH_LOOP_LIMIT = 5;
export const CRASH_LOOP_WINDOW_MS = 120_000;

/** Delay before restart number `attempt` (1-based) of a run of crashes. */
export function restartDelayMs(attempt: number): number {
  return Math.min(BACKOFF_CAP_MS, BACKOFF_START_MS * 2 ** Math.max(0, attempt - 1));
}

/** Crash timestamps inside the window ending at `now`. */
export function recentCrashes(crashes: readonly number[], now: number): number[] {
  return crashes.filter((t) => now - t < CRASH_LOOP_WINDOW_MS);
}

export function isCrashLooping(crashes: readonly number[], now: number): boolean {
  return recentCrashes(crashes, now).length >= CRASH_LOOP_LIMIT;
}
