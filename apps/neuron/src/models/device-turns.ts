/**
 * What a device has free for a new model (its budget less what its other models take or have
 * reserved), and turns per device: context plans on one device run one at a time, so two concurrent
 * loads never both count the same free memory.
 */
import type { ModelRecord } from './model-record';
import { usedMb } from './servability';

export function freeMb(deviceId: string, budgetMb: number, records: ModelRecord[], except?: ModelRecord): number {
  return budgetMb - usedMb(records.filter((m) => m.deviceId === deviceId && m !== except));
}

export class DeviceTurns {
  private readonly tails = new Map<string, Promise<unknown>>();

  /** Runs `work` after the device's previous turn has ended (however it ended). */
  async take<T>(deviceId: string, work: () => Promise<T>): Promise<T> {
    const before = this.tails.get(deviceId) ?? Promise.resolve();
    const run = before.then(work, work);
    const tail = run.catch(() => undefined);
    this.tails.set(deviceId, tail);
    try {
      return await run;
    } finally {
      if (this.tails.get(deviceId) === tail) this.tails.delete(deviceId);
    }
  }
}
