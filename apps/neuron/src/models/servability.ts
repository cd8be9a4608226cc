/**
 * Whether a resident model can start a request now. cortex allocates a model's KV sequences when it
 * loads, so a loaded model can always start one unless its device is over-committed: its resident
 * models take more than the device's memory (a GPU's VRAM, a CPU pseudo-device's budget), as after
 * the budget was lowered and the models reloaded. The gateway routes around such a replica.
 */
import type { Servable } from '@app/core';
import type { ModelRecord } from './model-record';

/** Memory a resident model takes: measured, else estimated. */
export const residentMb = (r: ModelRecord): number => r.vramMb ?? r.estimatedVramMb ?? 0;

/** Memory the models take (or have reserved while loading), failed ones aside. */
export const usedMb = (records: ModelRecord[]): number =>
  records.filter((m) => m.status !== 'failed').reduce((sum, m) => sum + residentMb(m), 0);

export function servability(r: ModelRecord, deviceTotalMb: number, onDevice: ModelRecord[]): Servable | undefined {
  if (r.status !== 'loaded') return undefined;
  const used = usedMb(onDevice);
  const free = deviceTotalMb - used;
  if (free >= 0) return { ok: true };
  return {
    ok: false,
    reason: 'insufficient_vram',
    detail: `${free} MiB free on ${r.deviceId}, need at least 0 MiB: its models take ${used} of its ${deviceTotalMb} MiB`,
  };
}
