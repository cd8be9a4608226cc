/** Admin actions on the fleet: load a model (optionally on one node), plan a load without doing it, unload, pin or unpin. */
import { Inject, Injectable } from '@nestjs/common';
import { Catalogue } from '../config/catalogue';
import { EvictorService } from '../evictor/evictor.service';
import { type CortexConfig, CortexError } from '@app/core';
import { CATALOGUE, GATEWAY_CONFIG } from '../config/gateway.tokens';
import { FleetStateService } from '../fleet/fleet-state.service';
import type { NeuronModel } from '../fleet/fleet.types';
import { ColdLoadService } from '../router/cold-load.service';
import { RouterService } from '../router/router.service';
import { NeuronClient } from '../upstream/neuron-client';

function parse(body: unknown): { model: string; node?: string } {
  const b = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  if (typeof b.model !== 'string' || !b.model) {
    throw new CortexError('missing_model_field', 'model: expected a model name', { param: 'model' });
  }
  if (b.node !== undefined && typeof b.node !== 'string')
    throw new CortexError('invalid_body', 'node: expected a neuron name', { param: 'node' });
  return { model: b.model, node: b.node as string | undefined };
}

@Injectable()
export class AdminService {
  constructor(
    @Inject(CATALOGUE) private readonly catalogue: Catalogue,
    private readonly fleet: FleetStateService,
    private readonly router: RouterService,
    private readonly cold: ColdLoadService,
    private readonly evictor: EvictorService,
    private readonly client: NeuronClient,
    @Inject(GATEWAY_CONFIG) cfg: CortexConfig,
  ) {
    this.loadTimeoutMs = cfg.upstream.load_timeout_s * 1000;
  }

  private readonly loadTimeoutMs: number;

  async load(body: unknown) {
    const { model, node } = parse(body);
    const id = this.catalogue.resolve(model);
    const entry = this.catalogue.get(id);
    if (node && !this.fleet.get(node))
      throw new CortexError('not_found', `no neuron named '${node}'`, { param: 'node' });
    if (node && !entry)
      throw new CortexError('model_not_found', `model '${id}' is not in the catalogue`, { param: 'model' });
    const route = node && entry ? await this.cold.coldLoad(entry, [], node) : await this.router.route(id);
    return { model: route.modelId, node: route.node.name, cold_start: route.coldStart };
  }

  /**
   * A dry run of a cold load: where `model` would be placed now and what would be evicted for it,
   * decided exactly as a request's cold load would (fresh neuron state), but nothing is done.
   */
  async place(body: unknown) {
    const { model, node } = parse(body);
    const id = this.catalogue.resolve(model);
    const entry = this.catalogue.get(id);
    if (!entry) throw new CortexError('model_not_found', `model '${id}' is not in the catalogue`, { param: 'model' });
    if (node && !this.fleet.get(node))
      throw new CortexError('not_found', `no neuron named '${node}'`, { param: 'node' });
    const plan = await this.cold.plan(entry, [], node, AbortSignal.timeout(this.loadTimeoutMs));
    return {
      model: id,
      dry_run: true,
      node: plan.node.name,
      device: plan.device,
      ...(plan.devices ? { devices: plan.devices } : {}),
      need_mb: plan.needMb,
      free_mb: plan.freeMb,
      evict: plan.victims.map((v) => v.id),
      loaded_on: this.fleet
        .replicas(id)
        .filter((h) => h.model.status === 'loaded')
        .map((h) => h.node.name)
        .sort(),
    };
  }

  private holders(model: string, node?: string): Array<{ nodeName: string; m: NeuronModel }> {
    const id = this.catalogue.resolve(model);
    const found = this.fleet
      .all()
      .filter((n) => !node || n.name === node)
      .flatMap((n) => n.models.filter((m) => m.id === id).map((m) => ({ nodeName: n.name, m })));
    if (!found.length)
      throw new CortexError('model_not_found', `model '${model}' is not loaded${node ? ` on ${node}` : ''}`, {
        param: 'model',
      });
    return found;
  }

  async unload(body: unknown) {
    const { model, node } = parse(body);
    const done: string[] = [];
    for (const { nodeName, m } of this.holders(model, node)) {
      await this.evictor.evict(this.fleet.get(nodeName)!, m, 'admin');
      done.push(nodeName);
    }
    return { model: this.catalogue.resolve(model), unloaded_from: done };
  }

  async pin(body: unknown, pinned: boolean) {
    const { model, node } = parse(body);
    if (pinned) await this.load(body);
    const done: string[] = [];
    for (const { nodeName } of this.holders(model, node)) {
      const n = this.fleet.get(nodeName)!;
      const updated = await this.client.pin(n, this.catalogue.resolve(model), pinned);
      this.fleet.upsertModel(nodeName, updated);
      done.push(nodeName);
    }
    return { model: this.catalogue.resolve(model), pinned, nodes: done };
  }
}
