/**
 * Where a cold load goes, as pure functions over the polled fleet. Feasible nodes: healthy,
 * `pinned_on`, and at least `min_devices` devices with `vram_total_mb ≥ min_device_vram_mb`. On each,
 * a one-device model takes a device where it fits now or after evicting idle models; a model for a
 * device group takes `min_devices` devices emptied of every model (a group's worker owns its devices
 * whole), its room their summed memory. Preferred: fits now, then the most free memory, then names.
 * A model of a group occupies each of its devices (an even share of its size on each).
 */
import type { NeuronDevice, NeuronModel, NodeState } from '../fleet/fleet.types';
import { chooseVictims, displaceable, type EvictionContext } from '../evictor/eviction-policy';

export interface Incoming {
  id: string;
  /** Memory it needs where no per-node figure is known. */
  needMb: number;
  /** Memory it needs on each node (its neuron's estimate), by node name. */
  needMbOn?: Record<string, number>;
  pinnedOn?: string[];
  minDeviceVramMb?: number;
  /** Devices one worker holds it across (> 1: a device group). */
  minDevices?: number;
  priority: number;
}

export interface Placement {
  node: NodeState;
  /** The device, or the group's id (`a+b`). */
  device: string;
  /** A group's devices. */
  devices?: string[];
  freeMb: number;
  victims: NeuronModel[];
}

export type PlacementResult =
  { kind: 'placed'; placement: Placement } | { kind: 'infeasible'; reasons: string[] } | { kind: 'no_room' };

/** Whether `m` takes memory on device `id` (its own device, or one of its group's). */
export const occupies = (m: NeuronModel, id: string): boolean => m.device === id || !!m.devices?.includes(id);
const share = (m: NeuronModel): number => m.devices?.length || 1;

/** Free memory of a device: what it reports, but never more than its total minus what is resident. */
export function deviceFree(node: NodeState, deviceId: string, sizeOf: (m: NeuronModel) => number): number {
  const d = node.devices.find((x) => x.id === deviceId);
  if (!d) return 0;
  const resident = node.models
    .filter((m) => occupies(m, deviceId) && m.status !== 'failed')
    .reduce((s, m) => s + sizeOf(m) / share(m), 0);
  const computed = d.vram_total_mb - resident;
  return Math.max(0, Math.min(d.vram_free_mb ?? computed, computed));
}

/** Devices of `node` that may hold `incoming`: not failed, and at least min_device_vram_mb. */
const eligibleDevices = (node: NodeState, incoming: Incoming): NeuronDevice[] =>
  node.devices.filter((d) => d.state !== 'failed' && d.vram_total_mb >= (incoming.minDeviceVramMb ?? 0));

/** Why `node` can never hold `incoming` (null: it can). */
export function infeasibility(node: NodeState, incoming: Incoming): string | null {
  if (incoming.pinnedOn?.length && !incoming.pinnedOn.includes(node.name)) return `${node.name}: not in pinned_on`;
  const n = incoming.minDevices ?? 1;
  const floor = incoming.minDeviceVramMb ?? 0;
  const usable = node.devices.filter((d) => d.state !== 'failed');
  if (usable.length < n) return `${node.name}: ${usable.length} usable device(s), min_devices is ${n}`;
  const big = eligibleDevices(node, incoming);
  if (big.length < n)
    return `${node.name}: ${big.length} device(s) with at least ${floor} MB (min_device_vram_mb), needs ${n}`;
  return null;
}

interface Candidate extends Placement {
  fitsFree: boolean;
}

/** One device: room now, or after evicting idle models on it (all of them when a group holds it). */
function oneDevice(node: NodeState, d: NeuronDevice, need: number, incoming: Incoming, ctx: EvictionContext) {
  const freeMb = deviceFree(node, d.id, ctx.sizeOf);
  const resident = node.models.filter((m) => occupies(m, d.id));
  const perDevice = { ...ctx, sizeOf: (m: NeuronModel) => ctx.sizeOf(m) / share(m) };
  const grouped = !!d.group || resident.some((m) => share(m) > 1);
  const victims = grouped
    ? evictAll(resident, incoming, ctx) && d.vram_total_mb >= need
      ? resident
      : null
    : chooseVictims(resident, need, freeMb, incoming.priority, perDevice);
  return victims && { node, device: d.id, freeMb, victims, fitsFree: freeMb >= need && !victims.length };
}

const evictAll = (models: NeuronModel[], incoming: Incoming, ctx: EvictionContext) =>
  models.every((m) => displaceable(m, incoming.priority, ctx));

/** `n` devices emptied for a group: those holding the fewest models, then the largest, then by id. */
function deviceGroup(
  node: NodeState,
  eligible: NeuronDevice[],
  n: number,
  need: number,
  incoming: Incoming,
  ctx: EvictionContext,
) {
  const on = (d: NeuronDevice) => node.models.filter((m) => occupies(m, d.id));
  const chosen = eligible
    .filter((d) => evictAll(on(d), incoming, ctx))
    .sort((a, b) => on(a).length - on(b).length || b.vram_total_mb - a.vram_total_mb || (a.id < b.id ? -1 : 1))
    .slice(0, n);
  if (chosen.length < n) return null;
  const victims = [...new Set(chosen.flatMap(on))];
  const total = chosen.reduce((s, d) => s + d.vram_total_mb, 0);
  const freeNow = chosen.reduce((s, d) => s + deviceFree(node, d.id, ctx.sizeOf), 0);
  if (total < need) return null;
  const devices = chosen.map((d) => d.id).sort();
  return {
    node,
    device: devices.join('+'),
    devices,
    freeMb: freeNow,
    victims,
    fitsFree: !victims.length && freeNow >= need,
  };
}

export function placeModel(nodes: NodeState[], incoming: Incoming, ctx: EvictionContext): PlacementResult {
  const reasons: string[] = [];
  const n = incoming.minDevices ?? 1;
  const candidates: Candidate[] = [];
  const live = nodes.filter((x) => x.healthy && x.discovered);
  for (const node of live) {
    const why = infeasibility(node, incoming);
    if (why) {
      reasons.push(why);
      continue;
    }
    const need = incoming.needMbOn?.[node.name] ?? incoming.needMb;
    const eligible = eligibleDevices(node, incoming);
    if (n > 1) {
      const c = deviceGroup(node, eligible, n, need, incoming, ctx);
      if (c) candidates.push(c);
    } else {
      for (const d of eligible) {
        const c = oneDevice(node, d, need, incoming, ctx);
        if (c) candidates.push(c);
      }
    }
  }
  if (!candidates.length && reasons.length === live.length) return { kind: 'infeasible', reasons };
  const best = candidates.sort(
    (a, b) =>
      Number(b.fitsFree) - Number(a.fitsFree) ||
      b.freeMb - a.freeMb ||
      a.node.name.localeCompare(b.node.name) ||
      a.device.localeCompare(b.device),
  )[0];
  if (!best) return { kind: 'no_room' };
  const { fitsFree: _fits, ...placement } = best;
  return { kind: 'placed', placement };
}
