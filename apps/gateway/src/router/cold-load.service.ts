/**
 * Cold loads: where a model not loaded anywhere goes (decided on the neurons' fresh state, so every
 * gateway replica decides alike), what it evicts first, and the load itself — single-flight in this
 * gateway, so 20 concurrent requests cause exactly one load, under one deadline. Also waits for a
 * load another gateway started.
 */
import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectMetric } from '@willsoto/nestjs-prometheus';
import type { Counter } from 'prom-client';
import { type CortexConfig, CortexError, type ModelEntry } from '@app/core';
import { Catalogue } from '../config/catalogue';
import { CATALOGUE, GATEWAY_CONFIG } from '../config/gateway.tokens';
import { EvictorService } from '../evictor/evictor.service';
import { FleetStateService } from '../fleet/fleet-state.service';
import type { NeuronModel, NodeState } from '../fleet/fleet.types';
import { G } from '../metrics/gateway-metrics';
import { NeuronClient, UpstreamError } from '../upstream/neuron-client';
import { ModelSizesService } from './model-sizes.service';
import type { Route } from './route';
import { type Placement, placeModel } from './routing-policy';
import { untilAborted } from './until-aborted';

/** A cold load's decision: the node and device, the models it evicts first, and the memory it needs there. */
export type Plan = Placement & { needMb: number };

@Injectable()
export class ColdLoadService {
  private readonly log = new Logger('Router');
  private readonly jobs = new Map<string, Promise<Route>>();

  constructor(
    @Inject(GATEWAY_CONFIG) private readonly cfg: CortexConfig,
    @Inject(CATALOGUE) private readonly catalogue: Catalogue,
    private readonly fleet: FleetStateService,
    private readonly client: NeuronClient,
    private readonly evictor: EvictorService,
    private readonly sizes: ModelSizesService,
    @InjectMetric(G.coldStarts) private readonly coldStarts: Counter<string>,
  ) {}

  /** The load of `id` this gateway is running now, if any. */
  running(id: string): Promise<Route> | undefined {
    return this.jobs.get(id);
  }

  /**
   * Loads `entry` somewhere (or joins the load already running in this gateway). The load as a
   * whole has one deadline (upstream.load_timeout_s), so a stuck neuron cannot wedge it for the
   * requests that share it; each waiter may still leave on its own `signal`.
   */
  coldLoad(entry: ModelEntry, exclude: string[] = [], node?: string, signal?: AbortSignal): Promise<Route> {
    let job = this.jobs.get(entry.id);
    if (!job) {
      const deadline = AbortSignal.timeout(this.cfg.upstream.load_timeout_s * 1000);
      job = this.place(entry, exclude, node, deadline).finally(() => this.jobs.delete(entry.id));
      job.catch(() => undefined); // a job nobody waits for any more must not be an unhandled rejection
      this.jobs.set(entry.id, job);
    }
    return untilAborted(job, signal);
  }

  private async place(entry: ModelEntry, exclude: string[], only: string | undefined, deadline: AbortSignal) {
    try {
      return await this.placeWithin(entry, exclude, only, deadline);
    } catch (err) {
      if (!deadline.aborted) throw err;
      throw new CortexError(
        'upstream_timeout',
        `cold load of '${entry.id}' did not finish within upstream.load_timeout_s (${this.cfg.upstream.load_timeout_s} s)`,
      );
    }
  }

  /**
   * Where a cold load of `entry` would go now and what it would evict, decided on the neurons' own
   * state (fetched fresh), so every gateway replica decides alike. Throws when no node can take it.
   */
  async plan(entry: ModelEntry, exclude: string[], only: string | undefined, deadline: AbortSignal): Promise<Plan> {
    const nodes = this.fleet.all().filter((n) => !exclude.includes(n.name) && (!only || n.name === only));
    // Evictions are decided on the neurons' own state (the source of truth), not a poll-old cache.
    await Promise.all(
      nodes
        .filter((n) => n.healthy)
        .map(async (n) => {
          const fresh = await this.client.models(n, this.cfg.poller.timeout_ms).catch(() => null);
          if (fresh) this.fleet.setModels(n.name, fresh.data);
        }),
    );
    const needMbOn = await this.sizes.needOn(
      entry,
      nodes.filter((n) => n.healthy),
      deadline,
    );
    const incoming = {
      id: entry.id,
      needMb: entry.vram_mb ?? 0,
      needMbOn,
      pinnedOn: entry.pinned_on,
      minDeviceVramMb: entry.min_device_vram_mb,
      minDevices: entry.min_devices,
      priority: this.catalogue.priority(entry.id),
    };
    const placed = placeModel(nodes, incoming, this.evictor.context());
    if (placed.kind === 'infeasible') {
      const unhealthyFits = nodes.some(
        (n) => !n.healthy && (!entry.pinned_on?.length || entry.pinned_on.includes(n.name)),
      );
      if (unhealthyFits) {
        throw new CortexError(
          'service_unavailable',
          `model '${entry.id}' is feasible on a neuron that is unhealthy; retry shortly`,
          { retryAfterS: 3 },
        );
      }
      const why = placed.reasons.length ? ` (${placed.reasons.join('; ')})` : '';
      throw new CortexError(
        'service_unavailable',
        `model '${entry.id}' is in the catalogue but no healthy neuron satisfies its constraints${why}`,
        { param: 'model', status: 404 },
      );
    }
    if (placed.kind === 'no_room') {
      throw new CortexError(
        'insufficient_capacity',
        `no neuron has room for '${entry.id}' (${Math.max(entry.vram_mb ?? 0, ...Object.values(needMbOn))} MB), even after evicting idle models; retry later`,
        { retryAfterS: 5 },
      );
    }
    return { ...placed.placement, needMb: needMbOn[placed.placement.node.name] ?? entry.vram_mb ?? 0 };
  }

  private async placeWithin(entry: ModelEntry, exclude: string[], only: string | undefined, deadline: AbortSignal) {
    const { node, device, devices, victims } = await this.plan(entry, exclude, only, deadline);
    for (const v of victims) await this.evictor.evict(node, v, `make_room:${entry.id}`, deadline);
    this.log.log(
      `cold-loading ${entry.id} on ${node.name}/${device}${victims.length ? ` after evicting ${victims.map((v) => v.id).join(', ')}` : ''}`,
    );
    let loaded: NeuronModel;
    try {
      const spec = {
        id: entry.id,
        source: entry.source,
        context_size: entry.context_size,
        min_context: entry.min_context,
        max_in_flight: entry.max_in_flight,
        ...(devices ? { devices, min_devices: devices.length } : { device }),
      };
      loaded = await this.client.load(node, spec, {
        signal: deadline,
        timeoutMs: this.cfg.upstream.load_timeout_s * 1000,
      });
    } catch (err) {
      if (deadline.aborted) throw err;
      const why = err instanceof UpstreamError ? err.message : String(err);
      throw new CortexError('cold_load_failed', `cold-load of '${entry.id}' on ${node.name} failed: ${why}`);
    }
    this.fleet.upsertModel(node.name, loaded);
    this.coldStarts.inc({ model: entry.id, node: node.name });
    await this.evictor.countCycle(node, device);
    return { node, modelId: entry.id, coldStart: true };
  }

  /**
   * Another gateway (or an admin) is loading it on `node`: wait until it is loaded there, or say
   * that the copy loaded but cannot serve there (the router routes again, around it).
   */
  async waitForLoad(node: NodeState, id: string, signal?: AbortSignal): Promise<Route | 'unservable'> {
    const end = Date.now() + this.cfg.upstream.load_timeout_s * 1000;
    while (Date.now() < end && !signal?.aborted) {
      await new Promise((r) => setTimeout(r, 250));
      const models = await this.client.models(node, this.cfg.poller.timeout_ms).catch(() => null);
      const m = models?.data.find((x) => x.id === id);
      if (m?.status === 'loaded') {
        this.fleet.upsertModel(node.name, m);
        if (m.servable?.ok === false) return 'unservable';
        return { node, modelId: id, coldStart: true };
      }
      if (!m || m.status === 'failed') break;
    }
    throw new CortexError('service_unavailable', `model '${id}' did not finish loading on ${node.name}`, {
      retryAfterS: 5,
    });
  }
}
