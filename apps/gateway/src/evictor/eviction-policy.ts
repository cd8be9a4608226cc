/**
 * Which resident models may be displaced, and in what order — pure functions so the policies are
 * table-tested. Displaceable: loaded, not pinned, nothing in flight or queued, resident at least
 * min_residency_s (against swap storms), and of priority ≤ the incoming model's. `lru` evicts the
 * least recently used first; `priority` the lowest residency_priority first, then LRU.
 */
import type { EvictionStrategy } from '@app/core';
import type { NeuronModel } from '../fleet/fleet.types';

export interface EvictionContext {
  strategy: EvictionStrategy;
  now: number;
  minResidencyS: number;
  priorityOf(modelId: string): number;
  sizeOf(m: NeuronModel): number;
}

const ms = (iso: string | null): number => (iso ? Date.parse(iso) : 0);

export function displaceable(m: NeuronModel, incomingPriority: number, ctx: EvictionContext): boolean {
  return (
    m.status === 'loaded' &&
    !m.pinned &&
    m.in_flight === 0 &&
    m.queue_depth === 0 &&
    ctx.now - ms(m.loaded_at) >= ctx.minResidencyS * 1000 &&
    ctx.priorityOf(m.id) <= incomingPriority
  );
}

export function evictionOrder(models: NeuronModel[], ctx: EvictionContext): NeuronModel[] {
  const lru = (a: NeuronModel, b: NeuronModel) =>
    ms(a.last_used_at) - ms(b.last_used_at) || ms(a.loaded_at) - ms(b.loaded_at) || a.id.localeCompare(b.id);
  const byPriority = (a: NeuronModel, b: NeuronModel) => ctx.priorityOf(a.id) - ctx.priorityOf(b.id) || lru(a, b);
  return [...models].sort(ctx.strategy === 'priority' ? byPriority : lru);
}

/**
 * The fewest models, in policy order, whose eviction frees `needMb` more than `freeMb` gives;
 * [] when it already fits, null when even evicting every displaceable model would not.
 */
export function chooseVictims(
  resident: NeuronModel[],
  needMb: number,
  freeMb: number,
  incomingPriority: number,
  ctx: EvictionContext,
): NeuronModel[] | null {
  if (freeMb >= needMb) return [];
  const victims: NeuronModel[] = [];
  let free = freeMb;
  for (const m of evictionOrder(
    resident.filter((r) => displaceable(r, incomingPriority, ctx)),
    ctx,
  )) {
    victims.push(m);
    free += ctx.sizeOf(m);
    if (free >= needMb) return victims;
  }
  return null;
}

/** Models idle longer than their TTL (per-model ttl_s, else idle_unload_after_s; 0 = never). */
export function idleExpired(
  m: NeuronModel,
  ttlS: number,
  ctx: Pick<EvictionContext, 'now' | 'minResidencyS'>,
): boolean {
  if (ttlS <= 0 || m.status !== 'loaded' || m.pinned || m.in_flight > 0 || m.queue_depth > 0) return false;
  const lastUse = Math.max(ms(m.last_used_at), ms(m.loaded_at));
  return ctx.now - lastUse >= ttlS * 1000 && ctx.now - ms(m.loaded_at) >= ctx.minResidencyS * 1000;
}
