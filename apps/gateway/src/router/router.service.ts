/**
 * Resolves a model name to where a request goes: alias, then the least-busy loaded replica; a
 * recovering model is a 503 (never a second copy elsewhere); a model loading somewhere, or a
 * catalogue model to cold-load, is a load to wait for. It decides and returns; it never calls back
 * into whoever asked.
 */
import { Inject, Injectable } from '@nestjs/common';
import { type CortexConfig, CortexError } from '@app/core';
import { Catalogue } from '../config/catalogue';
import { CATALOGUE, GATEWAY_CONFIG } from '../config/gateway.tokens';
import { FleetStateService } from '../fleet/fleet-state.service';
import type { NodeState } from '../fleet/fleet.types';
import { ColdLoadService } from './cold-load.service';
import type { Route, RouteDecision } from './route';
import { findReplica } from './routing-policy';
import { SessionHints } from './session-hints';
import { untilAborted } from './until-aborted';

export type { Route, RouteDecision } from './route';

export interface RouteOptions {
  /** Nodes to skip (a retry after a connection failure). */
  exclude?: string[];
  signal?: AbortSignal;
  /** The request's hashed session key: prefer the replica that holds its prefix. */
  session?: string | null;
}

@Injectable()
export class RouterService {
  constructor(
    @Inject(GATEWAY_CONFIG) private readonly cfg: CortexConfig,
    @Inject(CATALOGUE) private readonly catalogue: Catalogue,
    private readonly fleet: FleetStateService,
    private readonly cold: ColdLoadService,
    private readonly hints: SessionHints,
  ) {}

  /**
   * Makes the session's hint current before routing (other replicas may have sent it somewhere);
   * null when there is nothing to wait for (no session, or hints this replica alone keeps).
   */
  prefetch(requested: string, session: string | null): Promise<void> | null {
    if (!session || !this.cfg.sessions.affinity || !this.hints.shared) return null;
    return this.hints.prefetch(this.catalogue.resolve(requested), session);
  }

  /** Where a request for `requested` goes, waiting for a load when it must. */
  async route(requested: string, opts: RouteOptions = {}): Promise<Route> {
    const d = this.decide(requested, opts);
    return 'now' in d ? d.now : d.later;
  }

  /** A replica now, a load to wait for, or (thrown) why neither can be. */
  decide(requested: string, opts: RouteOptions = {}): RouteDecision {
    const id = this.catalogue.resolve(requested);
    const fleet = this.fleet;
    const r = findReplica(fleet.all(), id, opts.exclude, this.affinity(id, opts.session), fleet.replicas(id));
    switch (r.kind) {
      case 'loaded':
        this.remember(id, opts.session, r.node.name);
        return { now: { node: r.node, modelId: id, coldStart: false } };
      case 'no_healthy_nodes':
        throw new CortexError('service_unavailable', 'no healthy neurons available', { retryAfterS: 5 });
      case 'recovering':
        throw new CortexError(
          'model_recovering',
          `model '${id}' is recovering on ${r.node.name} (its device restarted); retry shortly`,
          { param: 'model', retryAfterS: 2 },
        );
      case 'loading': {
        const load = this.cold.running(id) ?? this.joinLoad(r.node, id, requested, opts);
        return { later: this.remembered(id, opts.session, untilAborted(load, opts.signal)) };
      }
      case 'unservable': {
        // Every replica says it cannot start a request: load another copy where one fits, else say why.
        const entry = this.catalogue.get(id);
        const why = `model '${id}' is loaded on ${r.node.name} but cannot serve there (${r.model.servable?.reason ?? 'unservable'}: ${r.model.servable?.detail ?? 'no detail'})`;
        if (!entry) throw new CortexError('insufficient_capacity', why, { retryAfterS: 5 });
        const holders = this.fleet
          .replicas(id)
          .filter((h) => h.model.servable?.ok === false)
          .map((h) => h.node.name);
        const load = this.cold.coldLoad(entry, [...(opts.exclude ?? []), ...holders], undefined, opts.signal);
        return {
          later: this.remembered(
            id,
            opts.session,
            load.catch((err: Error) => {
              throw new CortexError('insufficient_capacity', `${why}; no other neuron can take it: ${err.message}`, {
                retryAfterS: 5,
              });
            }),
          ),
        };
      }
      case 'absent': {
        const entry = this.catalogue.get(id);
        if (!entry) {
          throw new CortexError(
            'model_not_found',
            `model '${requested}' not found on any neuron and not in the catalogue`,
            { param: 'model' },
          );
        }
        const load = this.cold.coldLoad(entry, opts.exclude ?? [], undefined, opts.signal);
        return { later: this.remembered(id, opts.session, load) };
      }
    }
  }

  /** A load another gateway started on `node`: wait for it, then route again if that copy cannot serve. */
  private async joinLoad(node: NodeState, id: string, requested: string, opts: RouteOptions): Promise<Route> {
    const done = await this.cold.waitForLoad(node, id, opts.signal);
    return done === 'unservable' ? this.route(requested, opts) : done;
  }

  private affinity(model: string, session: string | null | undefined) {
    if (!session || !this.cfg.sessions.affinity) return undefined;
    const lastNode = this.hints.get(model, session);
    return { session, margin: this.cfg.sessions.overload_margin, lastNode };
  }

  private async remembered(model: string, session: string | null | undefined, route: Promise<Route>) {
    const r = await route;
    this.remember(model, session, r.node.name);
    return r;
  }

  private remember(model: string, session: string | null | undefined, node: string): void {
    if (!session || !this.cfg.sessions.affinity) return;
    this.hints.set(model, session, node);
  }
}
