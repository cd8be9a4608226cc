/** What the gateway knows of each neuron: the contract shapes it polled, plus its own bookkeeping. */
import type { BuildInfo, NeuronDevice, NeuronModel } from '@app/core';

export type { NeuronDevice, NeuronModel };

export interface NodeState {
  name: string;
  endpoint: string;
  token?: string;
  healthy: boolean;
  failures: number;
  discovered: boolean;
  devices: NeuronDevice[];
  models: NeuronModel[];
  lastPollAt: number | null;
  lastError: string | null;
  /** The build the neuron runs (from /discovery; null for neurons too old to say). */
  build?: BuildInfo | null;
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

/** A [[neurons]] entry as calls reach it: its name, its endpoint without a trailing slash, its token. */
export function addressOf(n: {
  name: string;
  endpoint: string;
  token?: string;
}): Pick<NodeState, 'name' | 'endpoint' | 'token'> {
  return { name: n.name, endpoint: n.endpoint.replace(/\/+$/, ''), token: n.token };
}
