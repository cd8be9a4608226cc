/** What the gateway knows of each neuron: the contract shapes it polled, plus its own bookkeeping. */
import type { NeuronDevice, NeuronModel } from '@app/core';

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
}
