/**
 * Which device a new model goes on: the one named, or the usable device with the most memory left
 * after the estimates of what it already holds (then the fewest models, then by id).
 */
import { CortexError } from '@app/core';
import type { DeviceSupervisor } from '../device-worker/device-supervisor';
import type { ModelRecord } from './model-record';

export function chooseDevice(all: DeviceSupervisor[], records: ModelRecord[], wanted?: string): DeviceSupervisor {
  if (wanted) {
    const sup = all.find((s) => s.device.id === wanted);
    if (!sup) {
      const have = all.map((s) => s.device.id).join(', ');
      throw new CortexError('device_not_found', `device: no device "${wanted}" on this neuron (have ${have})`, {
        param: 'device',
      });
    }
    if (sup.state === 'failed')
      throw new CortexError('device_failed', `device ${wanted} has failed`, { param: 'device' });
    return sup;
  }
  const usable = all.filter((s) => s.state !== 'failed' && s.state !== 'stopped');
  if (!usable.length) throw new CortexError('device_failed', 'no usable device on this neuron');
  const committed = (s: DeviceSupervisor) =>
    records.filter((r) => r.deviceId === s.device.id).reduce((sum, r) => sum + (r.estimatedVramMb ?? 0), 0);
  return usable.sort(
    (a, b) =>
      b.device.vramTotalMb - committed(b) - (a.device.vramTotalMb - committed(a)) ||
      a.models.length - b.models.length ||
      a.device.id.localeCompare(b.device.id),
  )[0]!;
}
