/**
 * The polled picture of every neuron, held in memory, and the one writer of each node's health and
 * model list. It is only a cache: the neurons are the source of truth, and the gateway's own loads
 * and unloads patch it at once instead of waiting for the next poll.
 */
import { Inject, Injectable } from '@nestjs/common';
import type { CortexConfig } from '@app/core';
import { GATEWAY_CONFIG } from '../config/gateway.tokens';
import type { BuildInfo } from '@app/core';
import { type Held, type NeuronDevice, type NeuronModel, type NodeState, type OwnLoad, addressOf } from './fleet.types';

@Injectable()
export class FleetStateService {
  private readonly nodes = new Map<string, NodeState>();
  private readonly list: NodeState[] = [];
  /** Copies of each model, kept in step with every node's model list. */
  private readonly index = new Map<string, Held[]>();
  /** This gateway's own requests in flight, per node and model. */
  private readonly own = new Map<string, OwnLoad>();

  constructor(@Inject(GATEWAY_CONFIG) cfg: CortexConfig) {
    for (const n of cfg.neurons) {
      const node: NodeState = {
        ...addressOf(n),
        healthy: false,
        failures: 0,
        discovered: false,
        devices: [],
        models: [],
        lastPollAt: null,
        lastError: null,
      };
      this.nodes.set(n.name, node);
      this.list.push(node);
    }
  }

  all(): NodeState[] {
    return this.list;
  }

  /** Every copy of a model in the fleet (in no set order): the router's decision costs these, not the fleet. */
  replicas(modelId: string): readonly Held[] {
    return this.index.get(modelId) ?? [];
  }

  /** The one place a node's model list changes, so the index follows it. */
  private replace(node: NodeState, models: NeuronModel[]): void {
    for (const m of node.models) {
      const held = this.index.get(m.id);
      if (!held) continue;
      const rest = held.filter((h) => h.node !== node);
      if (rest.length) this.index.set(m.id, rest);
      else this.index.delete(m.id);
    }
    node.models = models;
    for (const model of models) {
      const entry = { node, model, own: this.ownOf(node.name, model.id) };
      const held = this.index.get(model.id);
      if (held) held.push(entry);
      else this.index.set(model.id, [entry]);
    }
  }

  private ownOf(node: string, model: string): OwnLoad {
    const key = `${node}\u0000${model}`;
    let o = this.own.get(key);
    if (!o) this.own.set(key, (o = { now: 0, atPoll: 0 }));
    return o;
  }

  /** This gateway sent a request to `model` on `node`; the returned function (idempotent) says it ended. */
  began(node: string, model: string): () => void {
    const o = this.ownOf(node, model);
    o.now++;
    let done = false;
    return () => {
      if (done) return;
      done = true;
      o.now--;
    };
  }

  get(name: string): NodeState | undefined {
    return this.nodes.get(name);
  }

  upsertModel(nodeName: string, model: NeuronModel): void {
    const node = this.nodes.get(nodeName);
    if (!node) return;
    this.replace(node, [...node.models.filter((m) => m.id !== model.id), model]);
  }

  /** A request was just sent to this model: LRU decisions must not wait for the next poll. */
  touch(nodeName: string, modelId: string): void {
    const m = this.nodes.get(nodeName)?.models.find((x) => x.id === modelId);
    if (m) m.last_used_at = new Date().toISOString();
  }

  /** Replaces a node's model list with a fresh answer from the neuron (whose in_flight counts ours). */
  setModels(nodeName: string, models: NeuronModel[]): void {
    const node = this.nodes.get(nodeName);
    if (!node) return;
    for (const m of models) {
      const o = this.ownOf(nodeName, m.id);
      o.atPoll = o.now;
    }
    this.replace(node, models);
  }

  removeModel(nodeName: string, modelId: string): void {
    const node = this.nodes.get(nodeName);
    if (!node) return;
    this.replace(
      node,
      node.models.filter((m) => m.id !== modelId),
    );
  }

  /** A node answered discovery: its devices, until /health reports their state, and its build. */
  discovered(
    nodeName: string,
    devices: Array<Omit<NeuronDevice, 'state' | 'vram_free_mb'>>,
    build: BuildInfo | null = null,
  ): void {
    const node = this.nodes.get(nodeName);
    if (!node) return;
    node.build = build;
    node.devices = devices.map((d) => ({ ...d, state: 'ready', vram_free_mb: null }));
    node.discovered = true;
  }

  /** A poll succeeded: the node is healthy, with these models and devices. True when it was not. */
  polled(nodeName: string, models: NeuronModel[], devices: NeuronDevice[], at: number): boolean {
    const node = this.nodes.get(nodeName);
    if (!node) return false;
    this.setModels(nodeName, models);
    node.devices = devices;
    const recovered = !node.healthy;
    node.healthy = true;
    node.failures = 0;
    node.lastError = null;
    node.lastPollAt = at;
    return recovered;
  }

  /**
   * A poll, or a request's connection, failed: after `unhealthyAfter` in a row the node is
   * unhealthy. True when this failure turned it unhealthy.
   */
  pollFailed(nodeName: string, unhealthyAfter: number, error: string): boolean {
    const node = this.nodes.get(nodeName);
    if (!node) return false;
    node.failures++;
    node.lastError = error;
    if (!node.healthy || node.failures < unhealthyAfter) return false;
    node.healthy = false;
    return true;
  }
}
