/**
 * The polled picture of every neuron, held in memory. It is only a cache: the neurons are the
 * source of truth, and the gateway's own loads and unloads patch it at once instead of waiting for
 * the next poll.
 */
import { Inject, Injectable } from '@nestjs/common';
import type { CortexConfig } from '@app/core';
import { GATEWAY_CONFIG } from '../gateway.tokens';
import type { NeuronModel, NodeState } from './fleet.types';

@Injectable()
export class FleetStateService {
  private readonly nodes = new Map<string, NodeState>();

  constructor(@Inject(GATEWAY_CONFIG) cfg: CortexConfig) {
    for (const n of cfg.neurons) {
      this.nodes.set(n.name, {
        name: n.name,
        endpoint: n.endpoint.replace(/\/+$/, ''),
        token: n.token,
        healthy: false,
        failures: 0,
        discovered: false,
        devices: [],
        models: [],
        lastPollAt: null,
        lastError: null,
      });
    }
  }

  all(): NodeState[] {
    return [...this.nodes.values()];
  }

  get(name: string): NodeState | undefined {
    return this.nodes.get(name);
  }

  upsertModel(nodeName: string, model: NeuronModel): void {
    const node = this.nodes.get(nodeName);
    if (!node) return;
    node.models = [...node.models.filter((m) => m.id !== model.id), model];
  }

  /** A request was just sent to this model: LRU decisions must not wait for the next poll. */
  touch(nodeName: string, modelId: string): void {
    const m = this.nodes.get(nodeName)?.models.find((x) => x.id === modelId);
    if (m) m.last_used_at = new Date().toISOString();
  }

  /** Replaces a node's model list with a fresh answer from the neuron. */
  setModels(nodeName: string, models: NeuronModel[]): void {
    const node = this.nodes.get(nodeName);
    if (node) node.models = models;
  }

  removeModel(nodeName: string, modelId: string): void {
    const node = this.nodes.get(nodeName);
    if (node) node.models = node.models.filter((m) => m.id !== modelId);
  }

  /** A request failed to connect: count it like a failed poll. */
  connectionFailed(nodeName: string, unhealthyAfter: number, error: string): void {
    const node = this.nodes.get(nodeName);
    if (!node) return;
    node.failures++;
    node.lastError = error;
    if (node.failures >= unhealthyAfter) node.healthy = false;
  }
}
