/**
 * Where a request goes, as pure functions over the polled fleet: the least-busy healthy replica
 * that has the model loaded and servable (in_flight + queue_depth, ties by node name), unless the request's session
 * is warm on another replica that is not busier by more than the affinity margin; else wait for one that is
 * recovering or loading; else a placement for a cold load (placement.ts).
 */
import type { Held, NeuronModel, NodeState } from '../fleet/fleet.types';

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

export * from './placement';
