/**
 * Where a request goes, as pure functions over the polled fleet: the least-busy healthy replica
 * that has the model loaded and servable (in_flight + queue_depth, ties by node name), unless the request's session
 * is warm on another replica that is not busier by more than the affinity margin; else wait for one that is
 * recovering or loading; else a placement for a cold load — feasible nodes by pinned_on and
 * min_device_vram_mb, preferring a device where it fits now, then one where it fits after
 * evictions, then the most free memory, then the name.
 */
import type { NeuronModel, NodeState } from '../poller/fleet.types';
import { chooseVictims, type EvictionContext } from '../evictor/eviction-policy';

export type Replica = { kind: 'loaded'; node: NodeState; model: NeuronModel };
export type Lookup =
  | Replica
  | { kind: 'recovering'; node: NodeState }
  | { kind: 'loading'; node: NodeState }
  | { kind: 'unservable'; node: NodeState; model: NeuronModel }
  | { kind: 'absent' }
  | { kind: 'no_healthy_nodes' };

/** A request's session: the replica that holds its prefix wins unless it is `margin` busier than the least busy. */
export interface Affinity {
  session: string;
  margin: number;
  /** The node this gateway last sent the session to (bridges the time until neurons report it warm). */
  lastNode?: string;
}

/**
 * Requests this gateway has in flight on a replica now, and how many it had when the replica's
 * state was last polled (the polled in_flight already counts those).
 */
export interface OwnLoad {
  now: number;
  atPoll: number;
}

/** A model resident on a node (any status), with this gateway's own load on it when known. */
export interface Held {
  node: NodeState;
  model: NeuronModel;
  own?: OwnLoad;
}

/** Every copy of `modelId` in the fleet (FleetStateService keeps this indexed). */
export function heldBy(nodes: NodeState[], modelId: string): Held[] {
  return nodes.flatMap((node) => node.models.filter((m) => m.id === modelId).map((model) => ({ node, model })));
}

/**
 * How busy a replica is: what it reported at the last poll, plus what this gateway has sent it
 * since (minus what finished). Without the second part a burst between two polls all lands on the
 * replica that was idlest at the last one.
 */
const busy = (h: Held): number => Math.max(0, load(h.model) + (h.own ? h.own.now - h.own.atPoll : 0));

/** Less busy first, then node name: the order replicas are preferred in. */
const before = (a: Held, b: Held): boolean => busy(a) < busy(b) || (busy(a) === busy(b) && a.node.name < b.node.name);

/**
 * `held`, when given, is `heldBy(nodes, modelId)` from an index: the decision then costs the
 * model's replicas, not the whole fleet's models (one pass, no sort).
 */
export function findReplica(
  nodes: NodeState[],
  modelId: string,
  exclude: readonly string[] = [],
  affinity?: Affinity,
  held?: readonly Held[],
): Lookup {
  if (!nodes.some((n) => n.healthy && !exclude.includes(n.name))) return { kind: 'no_healthy_nodes' };
  const here = (held ?? heldBy(nodes, modelId)).filter((h) => h.node.healthy && !exclude.includes(h.node.name));
  let best: Held | undefined;
  let home: Held | undefined;
  let unservable: Held | undefined;
  for (const h of here) {
    if (h.model.status !== 'loaded') continue;
    // A neuron that says the replica cannot start a request is skipped (absent `servable` = servable).
    if (h.model.servable?.ok === false) {
      if (!unservable || h.node.name < unservable.node.name) unservable = h;
      continue;
    }
    if (!best || before(h, best)) best = h;
    const warm =
      affinity && (h.model.kv?.warm_sessions.includes(affinity.session) || h.node.name === affinity.lastNode);
    if (warm && (!home || before(h, home))) home = h;
  }
  if (best && home && busy(home) <= busy(best) + affinity!.margin)
    return { kind: 'loaded', node: home.node, model: home.model };
  if (best) return { kind: 'loaded', node: best.node, model: best.model };
  // First by node name, whatever order `held` came in: replicas must decide alike.
  const first = (status: string) =>
    here.filter((h) => h.model.status === status).sort((a, b) => (a.node.name < b.node.name ? -1 : 1))[0];
  const recovering = first('recovering');
  if (recovering) return { kind: 'recovering', node: recovering.node };
  const loading = first('loading');
  if (loading) return { kind: 'loading', node: loading.node };
  if (unservable) return { kind: 'unservable', node: unservable.node, model: unservable.model };
  return { kind: 'absent' };
}

const load = (m: NeuronModel): number => m.in_flight + m.queue_depth;

export interface Incoming {
  id: string;
  /** Memory it needs where no per-node figure is known. */
  needMb: number;
  /** Memory it needs on each node (its neuron's estimate), by node name. */
  needMbOn?: Record<string, number>;
  pinnedOn?: string[];
  minDeviceVramMb?: number;
  priority: number;
}

export interface Placement {
  node: NodeState;
  device: string;
  freeMb: number;
  victims: NeuronModel[];
}

/** Free memory of a device: what it reports, but never more than its total minus what is resident. */
export function deviceFree(node: NodeState, deviceId: string, sizeOf: (m: NeuronModel) => number): number {
  const d = node.devices.find((x) => x.id === deviceId);
  if (!d) return 0;
  const resident = node.models
    .filter((m) => m.device === deviceId && m.status !== 'failed')
    .reduce((s, m) => s + sizeOf(m), 0);
  const computed = d.vram_total_mb - resident;
  return Math.max(0, Math.min(d.vram_free_mb ?? computed, computed));
}

export type PlacementResult = { kind: 'placed'; placement: Placement } | { kind: 'infeasible' } | { kind: 'no_room' };

export function placeModel(nodes: NodeState[], incoming: Incoming, ctx: EvictionContext): PlacementResult {
  const feasible = nodes.filter(
    (n) => n.healthy && n.discovered && (!incoming.pinnedOn?.length || incoming.pinnedOn.includes(n.name)),
  );
  const candidates = feasible.flatMap((node) =>
    node.devices
      .filter((d) => d.state !== 'failed' && d.vram_total_mb >= (incoming.minDeviceVramMb ?? 0))
      .map((d) => {
        const need = incoming.needMbOn?.[node.name] ?? incoming.needMb;
        const freeMb = deviceFree(node, d.id, ctx.sizeOf);
        const resident = node.models.filter((m) => m.device === d.id);
        const victims = chooseVictims(resident, need, freeMb, incoming.priority, ctx);
        return { node, device: d.id, freeMb, victims, fitsFree: freeMb >= need };
      }),
  );
  if (!candidates.length) return { kind: 'infeasible' };
  const ranked = candidates
    .filter((c) => c.victims !== null)
    .sort(
      (a, b) =>
        Number(b.fitsFree) - Number(a.fitsFree) ||
        b.freeMb - a.freeMb ||
        a.node.name.localeCompare(b.node.name) ||
        a.device.localeCompare(b.device),
    );
  const best = ranked[0];
  if (!best) return { kind: 'no_room' };
  return {
    kind: 'placed',
    placement: { node: best.node, device: best.device, freeMb: best.freeMb, victims: best.victims! },
  };
}
