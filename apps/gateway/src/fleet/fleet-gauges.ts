/**
 * The gauges the poller feeds from what neurons report: up, per model in-flight, queue and seats,
 * per device free, used and total memory, and GPU utilisation and temperature where reported. A model or device that is gone loses its series instead of
 * keeping its last value forever.
 */
import { Injectable } from '@nestjs/common';
import { InjectMetric } from '@willsoto/nestjs-prometheus';
import type { Gauge } from 'prom-client';
import type { NodeState } from './fleet.types';
import { G } from '../metrics/gateway-metrics';

@Injectable()
export class FleetGauges {
  /** Label sets exported last time, per node: models and devices. */
  private readonly last = new Map<string, { models: Set<string>; devices: Set<string> }>();

  constructor(
    @InjectMetric(G.neuronUp) private readonly upGauge: Gauge<string>,
    @InjectMetric(G.inFlight) private readonly inFlight: Gauge<string>,
    @InjectMetric(G.queueDepth) private readonly queueDepth: Gauge<string>,
    @InjectMetric(G.maxInFlight) private readonly maxInFlight: Gauge<string>,
    @InjectMetric(G.vramFree) private readonly vramFree: Gauge<string>,
    @InjectMetric(G.vramUsed) private readonly vramUsed: Gauge<string>,
    @InjectMetric(G.vramTotal) private readonly vramTotal: Gauge<string>,
    @InjectMetric(G.utilization) private readonly utilization: Gauge<string>,
    @InjectMetric(G.temperature) private readonly temperature: Gauge<string>,
    @InjectMetric(G.pollCycle) private readonly pollCycle: Gauge<string>,
  ) {}

  /** A poll of the whole fleet finished after `seconds`. */
  cycle(seconds: number): void {
    this.pollCycle.set(seconds);
  }

  /** A successful poll: everything it reported. */
  polled(node: NodeState): void {
    const node_ = node.name;
    this.upGauge.set({ node: node_ }, 1);
    const models = new Set<string>();
    for (const m of node.models) {
      const labels = { node: node_, model: m.id };
      models.add(m.id);
      this.inFlight.set(labels, m.in_flight);
      this.queueDepth.set(labels, m.queue_depth);
      this.maxInFlight.set(labels, m.max_in_flight);
    }
    const devices = new Set<string>();
    for (const d of node.devices) {
      const labels = { node: node_, device: d.id };
      devices.add(d.id);
      this.vramTotal.set(labels, d.vram_total_mb);
      if (d.vram_free_mb !== null) {
        this.vramFree.set(labels, d.vram_free_mb);
        this.vramUsed.set(labels, Math.max(0, d.vram_total_mb - d.vram_free_mb));
      }
      if (typeof d.utilization_pct === 'number') this.utilization.set(labels, d.utilization_pct);
      if (typeof d.temperature_c === 'number') this.temperature.set(labels, d.temperature_c);
    }
    this.forget(node_, models, devices);
  }

  /** A failed poll: only whether the neuron still counts as up (its last figures stay as they were). */
  up(node: string, healthy: boolean): void {
    this.upGauge.set({ node }, healthy ? 1 : 0);
  }

  private forget(node: string, models: Set<string>, devices: Set<string>): void {
    const before = this.last.get(node);
    for (const model of before?.models ?? []) {
      if (models.has(model)) continue;
      for (const g of [this.inFlight, this.queueDepth, this.maxInFlight]) g.remove({ node, model });
    }
    for (const device of before?.devices ?? []) {
      if (devices.has(device)) continue;
      for (const g of [this.vramFree, this.vramUsed, this.vramTotal, this.utilization, this.temperature])
        g.remove({ node, device });
    }
    this.last.set(node, { models, devices });
  }
}
