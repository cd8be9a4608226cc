/**
 * Unloads models from neurons: on demand to make room for a cold load (victims chosen by
 * eviction-policy), and in the background when a model has been idle past its TTL. Every eviction
 * is logged with its reason and counted; after defrag_after_cycles load/unload cycles on a device
 * the neuron is asked to recycle that device's worker when it is idle.
 */
import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { InjectMetric } from '@willsoto/nestjs-prometheus';
import type { Counter } from 'prom-client';
import type { CortexConfig } from '@app/core';
import { Catalogue } from '../config/catalogue';
import { CATALOGUE, CLOCK, type Clock, GATEWAY_CONFIG } from '../config/gateway.tokens';
import { G } from '../metrics/gateway-metrics';
import { RequestJournal } from '../metrics/request-journal';
import { FleetStateService } from '../fleet/fleet-state.service';
import type { NeuronModel, NodeState } from '../fleet/fleet.types';
import { NeuronClient } from '../upstream/neuron-client';
import { type EvictionContext, idleExpired } from './eviction-policy';

@Injectable()
export class EvictorService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly log = new Logger('Evictor');
  private readonly cycles = new Map<string, number>();

  constructor(
    @Inject(GATEWAY_CONFIG) private readonly cfg: CortexConfig,
    @Inject(CATALOGUE) private readonly catalogue: Catalogue,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly fleet: FleetStateService,
    private readonly client: NeuronClient,
    private readonly scheduler: SchedulerRegistry,
    @InjectMetric(G.evictions) private readonly evictions: Counter<string>,
    @InjectMetric(G.defrags) private readonly defrags: Counter<string>,
    private readonly journal: RequestJournal,
  ) {}

  context(): EvictionContext {
    return {
      strategy: this.cfg.eviction.strategy,
      now: this.clock.now(),
      minResidencyS: this.cfg.eviction.min_residency_s,
      priorityOf: (id) => this.catalogue.priority(id),
      sizeOf: (m) => this.sizeOf(m),
    };
  }

  /** Memory a resident model takes: the catalogue's figure, else the neuron's measurement or estimate. */
  sizeOf(m: NeuronModel): number {
    return this.catalogue.get(m.id)?.vram_mb ?? m.vram_mb ?? m.estimated_vram_mb ?? 0;
  }

  onApplicationBootstrap(): void {
    const period = Math.min(5000, Math.max(250, this.cfg.poller.interval_ms));
    this.scheduler.addInterval(
      'idle-evictor',
      setInterval(() => void this.sweepIdle(), period),
    );
  }

  onModuleDestroy(): void {
    if (this.scheduler.doesExist('interval', 'idle-evictor')) this.scheduler.deleteInterval('idle-evictor');
  }

  /** Unloads `model` from `node` under the call deadline (and `signal`, a cold load's own deadline). */
  async evict(node: NodeState, model: NeuronModel, reason: string, signal?: AbortSignal): Promise<void> {
    this.log.warn(
      `evicting ${model.id} from ${node.name}/${model.device} (${reason}, strategy ${this.cfg.eviction.strategy})`,
    );
    await this.client.unload(node, model.id, { signal });
    this.fleet.removeModel(node.name, model.id);
    this.evictions.inc({ node: node.name, model: model.id, reason });
    this.journal.event(`evicted ${model.id} from ${node.name} (${reason})`);
    await this.countCycle(node, model.device);
  }

  /** A model was loaded onto a device: one more cycle toward defragmentation. */
  async countCycle(node: NodeState, device: string): Promise<void> {
    const every = this.cfg.eviction.defrag_after_cycles;
    if (every <= 0) return;
    const key = `${node.name}/${device}`;
    const n = (this.cycles.get(key) ?? 0) + 1;
    this.cycles.set(key, n);
    if (n < every) return;
    const busy = node.models.some((m) => m.device === device && (m.in_flight > 0 || m.queue_depth > 0));
    if (busy) return; // try again after the next cycle, when it is idle
    this.cycles.set(key, 0);
    this.log.warn(`${key}: ${n} load/unload cycles; recycling the device worker to defragment`);
    await this.client
      .recycle(node, device)
      .then(() => this.defrags.inc({ node: node.name, device }))
      .catch((err: Error) => this.log.error(`recycle of ${key} failed: ${err.message}`));
  }

  async sweepIdle(): Promise<void> {
    const ctx = this.context();
    for (const node of this.fleet.all().filter((n) => n.healthy)) {
      for (const m of node.models) {
        const ttl = this.catalogue.get(m.id)?.ttl_s ?? this.cfg.eviction.idle_unload_after_s;
        if (!idleExpired(m, ttl, ctx)) continue;
        await this.evict(node, m, 'idle').catch((err: Error) =>
          this.log.error(`idle unload of ${m.id} failed: ${err.message}`),
        );
      }
    }
  }
}
