/** Where one request goes: a node holding the model (or that just loaded it for this request). */
import type { NodeState } from '../fleet/fleet.types';

export interface Route {
  node: NodeState;
  modelId: string;
  coldStart: boolean;
}

/** The router's answer: a replica now, or a load to wait for (a stream starts its pings first). */
export type RouteDecision = { now: Route } | { later: Promise<Route> };
