/**
 * Which device a new model goes on: the one named, or the usable device with the most memory left
 * after the estimates of what it already holds (then the fewest models, then by id). A model asking
 * for several devices gets a group of free ones: those named, or the largest free devices.
 */
import { CortexError, type LoadModelRequest } from '@app/core';
import type { DeviceWorkerService } from '../device-worker/device-worker.service';
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
    if (sup.state === 'stopped')
      throw new CortexError('device_busy', `device ${wanted} is held by a device group`, {
        param: 'device',
        retryAfterS: 5,
      });
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

/**
 * The devices of the group a load asks for (`devices`, else `min_devices` > 1 free ones: ready, no
 * model resident or loading, largest first), or null for a one-device load.
 */
export function groupMembers(
  req: Pick<LoadModelRequest, 'id' | 'devices' | 'min_devices'>,
  devices: Pick<DeviceWorkerService, 'list' | 'groupRefusal'>,
  records: ModelRecord[],
): string[] | null {
  const n = Math.max(req.min_devices ?? 1, req.devices?.length ?? 0);
  if (n <= 1) return null;
  const all = devices.list();
  if (n > all.length)
    throw new CortexError('invalid_body', `min_devices: ${n} is more than this neuron's ${all.length} device(s)`, {
      param: 'min_devices',
    });
  // A model still loading on a device is not in its supervisor's list yet: its record counts too.
  const taken = (id: string) => records.find((r) => r.deviceId === id);
  if (req.devices?.length) {
    const refusal = devices.groupRefusal(req.devices);
    if (refusal) throw refusal;
    const busy = req.devices.find(taken);
    if (busy)
      throw new CortexError('device_busy', `devices: ${busy} is taken by model '${taken(busy)!.id}'`, {
        param: 'devices',
        retryAfterS: 5,
      });
    if (req.devices.length < n)
      throw new CortexError('invalid_body', `devices: names ${req.devices.length} devices but min_devices is ${n}`, {
        param: 'devices',
      });
    return req.devices;
  }
  const free = all
    .filter((s) => !devices.groupRefusal([s.device.id]) && !taken(s.device.id))
    .sort((a, b) => b.device.vramTotalMb - a.device.vramTotalMb || a.device.id.localeCompare(b.device.id));
  if (free.length < n) {
    throw new CortexError(
      'insufficient_capacity',
      `model '${req.id}' needs ${n} free devices for one worker; ${free.length} of this neuron's ${all.length} are free (${free.map((s) => s.device.id).join(', ') || 'none'})`,
      { param: 'min_devices', retryAfterS: 5 },
    );
  }
  return free.slice(0, n).map((s) => s.device.id);
}
