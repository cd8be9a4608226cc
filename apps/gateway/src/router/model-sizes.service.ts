/**
 * How much memory a catalogue model needs on each neuron: its `vram_mb` when models.toml sets one
 * (that always wins), else the neuron's own estimate from the GGUF (POST /models/estimate): for a
 * model without context_size, what its least context (min(trained, min_context)) takes, since it
 * grows into whatever more its device has free. Cached per neuron, source, context and seats since a
 * file's size does not change under a name; the context an estimate foresaw is kept to show. An
 * estimate the neuron cannot give (a remote source, a neuron down) counts as unknown (0).
 */
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { ModelEntry } from '@app/core';
import { Catalogue } from '../config/catalogue';
import { CATALOGUE } from '../config/gateway.tokens';
import type { NodeState } from '../fleet/fleet.types';
import { NeuronClient } from '../upstream/neuron-client';

@Injectable()
export class ModelSizesService {
  private readonly log = new Logger('Sizes');
  private readonly cache = new Map<string, number>();
  /** The context each estimate said a load would get now, by the same keys. */
  private readonly contexts = new Map<string, number>();

  constructor(
    @Inject(CATALOGUE) private readonly catalogue: Catalogue,
    private readonly client: NeuronClient,
  ) {}

  private key(node: string, e: ModelEntry): string {
    return `${node}\u0000${e.source}\u0000${e.context_size ?? ''}\u0000${e.max_in_flight ?? ''}\u0000${e.min_context ?? ''}`;
  }

  /** Memory `entry` needs on each node (by name); nodes with no answer are left out (unknown). */
  async needOn(entry: ModelEntry, nodes: NodeState[], signal?: AbortSignal): Promise<Record<string, number>> {
    if (entry.vram_mb !== undefined) return Object.fromEntries(nodes.map((n) => [n.name, entry.vram_mb!]));
    const out: Record<string, number> = {};
    await Promise.all(
      nodes.map(async (n) => {
        const k = this.key(n.name, entry);
        let mb = this.cache.get(k);
        if (mb === undefined) {
          const body = {
            source: entry.source,
            context_size: entry.context_size,
            min_context: entry.min_context,
            max_in_flight: entry.max_in_flight,
          };
          mb = await this.client
            .estimate(n, body, { signal })
            .then((r) => {
              this.contexts.set(k, r.context_size);
              return r.min_vram_mb ?? r.estimated_vram_mb;
            })
            .catch((err: Error) => {
              this.log.warn(`no size estimate for ${entry.id} from ${n.name}: ${err.message}`);
              return undefined;
            });
          if (mb !== undefined) this.cache.set(k, mb);
        }
        if (mb !== undefined) out[n.name] = mb;
      }),
    );
    return out;
  }

  /** The largest context an estimate foresaw for a model not loaded (its own context_size wins). */
  foreseenContext(id: string): number | null {
    const entry = this.catalogue.get(id);
    if (!entry) return null;
    if (entry.context_size !== undefined) return entry.context_size;
    const known = bySource(this.contexts, entry.source);
    return known.length ? Math.max(...known) : null;
  }

  /** The size to show for a model: its vram_mb, else the largest estimate any neuron gave. */
  shown(id: string): { mb: number; source: 'config' | 'estimate' } | null {
    const entry = this.catalogue.get(id);
    if (!entry) return null;
    if (entry.vram_mb !== undefined) return { mb: entry.vram_mb, source: 'config' };
    const known = bySource(this.cache, entry.source);
    return known.length ? { mb: Math.max(...known), source: 'estimate' } : null;
  }
}

/** The cached values, from any neuron, of one source (the key's second part). */
const bySource = (cache: Map<string, number>, source: string): number[] =>
  [...cache.entries()].filter(([k]) => k.split('\u0000')[1] === source).map(([, v]) => v);
