/**
 * The merged views the API shows: /v1/models (catalogue × what neurons hold, plus aliases) and the
 * fleet summary behind /health and /admin/fleet. Pure functions over the polled state.
 */
import { type CortexConfig, buildId } from '@app/core';
import type { Catalogue } from '../config/catalogue';
import type { NodeState } from '../fleet/fleet.types';
import { gatewayBuild, skewOf } from '../fleet/version-skew';
import { placeModel } from '../router/routing-policy';
import type { EvictionContext } from '../evictor/eviction-policy';

/** The memory shown for a model: its configured vram_mb, else a neuron's GGUF estimate. */
export type SizeOf = (id: string) => { mb: number; source: 'config' | 'estimate' } | null;
/** The context a model not loaded anywhere would get: its context_size, else what an estimate foresaw. */
export type ContextOf = (id: string) => number | null;

/**
 * The window clients are told (opencode's `limit`, Claude Code's and Codex's context settings): the
 * context the model serves, and the largest reply worth asking for, a quarter of it (at most 32k),
 * so an agent that keeps `context - output` for its prompt compacts in time.
 */
export function clientLimit(context: number): { context: number; output: number } {
  return { context, output: Math.min(32_768, Math.floor(context / 4)) };
}

export function modelList(
  nodes: NodeState[],
  catalogue: Catalogue,
  ctx: EvictionContext,
  sizeOf: SizeOf = () => null,
  now = Date.now(),
  contextOf: ContextOf = (id) => catalogue.get(id)?.context_size ?? null,
) {
  const ids = new Set([...catalogue.entries().map((m) => m.id), ...nodes.flatMap((n) => n.models.map((m) => m.id))]);
  const entries = [...ids].sort().map((id) => {
    const entry = catalogue.get(id);
    const locations = nodes.flatMap((n) =>
      n.models
        .filter((m) => m.id === id)
        .map((m) => ({
          node: n.name,
          device: m.device,
          status: n.healthy ? m.status : 'unreachable',
          in_flight: m.in_flight,
          queue_depth: m.queue_depth,
          pinned: m.pinned ?? false,
          vram_mb: m.vram_mb,
          context_size: m.context_size,
        })),
    );
    const feasibleOn = entry
      ? nodes
          .filter(
            (n) =>
              placeModel(
                [n],
                {
                  id,
                  needMb: entry.vram_mb ?? 0,
                  pinnedOn: entry.pinned_on,
                  minDeviceVramMb: entry.min_device_vram_mb,
                  minDevices: entry.min_devices,
                  priority: 100,
                },
                { ...ctx, priorityOf: () => 0 },
              ).kind !== 'infeasible',
          )
          .map((n) => n.name)
      : [];
    const contexts = locations.map((l) => l.context_size).filter((c): c is number => typeof c === 'number');
    const residentMb = nodes.flatMap((n) =>
      n.models.filter((m) => m.id === id && typeof m.estimated_vram_mb === 'number').map((m) => m.estimated_vram_mb!),
    );
    const size =
      sizeOf(id) ?? (residentMb.length ? { mb: Math.max(...residentMb), source: 'estimate' as const } : null);
    // Replicas loaded with different contexts: the smallest, which every route can serve.
    const context = contexts.length ? Math.min(...contexts) : contextOf(id);
    return {
      id,
      object: 'model',
      created: Math.floor(now / 1000),
      owned_by: 'cortex',
      loaded: locations.some((l) => l.status === 'loaded'),
      feasible_on: feasibleOn,
      locations,
      ...(context ? { limit: clientLimit(context), max_model_len: context } : {}),
      vram_mb: size?.mb ?? null,
      vram_source: size?.source ?? null,
      ...clientCapabilities(
        nodes.flatMap((n) => n.models.filter((m) => m.id === id && m.capabilities?.length)).at(0)?.capabilities ??
          entry?.capabilities ?? ['text'],
      ),
      residency_priority: catalogue.priority(id),
      in_catalogue: Boolean(entry),
    };
  });
  const aliases = catalogue
    .aliases()
    .flatMap(([alias, target]) =>
      entries.filter((e) => e.id === target).map((e) => ({ ...e, id: alias, alias_of: target })),
    );
  return { object: 'list', data: [...entries, ...aliases] };
}

/**
 * What clients read to pick a model: its capabilities (what a loaded replica's neuron derived from the
 * model itself, else the catalogue's label), whether it calls tools and reasons, and its modalities.
 */
export function clientCapabilities(caps: string[]) {
  return {
    capabilities: caps,
    tool_call: caps.includes('tools'),
    reasoning: caps.includes('reasoning'),
    modalities: { input: ['text'], output: caps.includes('text') ? ['text'] : ['embeddings'] },
  };
}

export function fleetSummary(nodes: NodeState[], cfg: CortexConfig) {
  const healthy = nodes.filter((n) => n.healthy).length;
  const failedDevice = nodes.some((n) => n.devices.some((d) => d.state === 'failed'));
  const unservable = nodes
    .filter((n) => n.healthy)
    .flatMap((n) =>
      n.models
        .filter((m) => m.status === 'loaded' && m.servable?.ok === false)
        .map((m) => ({
          node: n.name,
          model: m.id,
          reason: m.servable!.reason ?? null,
          detail: m.servable!.detail ?? null,
        })),
    );
  const impaired = healthy < nodes.length || failedDevice || unservable.length > 0;
  const skew = versionSkew(nodes);
  const status = nodes.length === 0 || healthy === 0 ? 'degraded' : impaired ? 'impaired' : 'ok';
  return {
    status,
    nodes: { healthy, total: nodes.length },
    // Only when some resident model cannot serve (reference §10.3).
    ...(unservable.length ? { unservable } : {}),
    version: gatewayBuild(),
    // Builds that differ from the gateway's (a fleet half-upgraded, or a neuron too old to say).
    ...(skew.length ? { version_skew: skew } : {}),
    eviction: cfg.eviction.strategy,
    neurons: nodes.map((n) => ({
      name: n.name,
      endpoint: n.endpoint,
      healthy: n.healthy,
      failures: n.failures,
      last_error: n.lastError,
      last_poll_at: n.lastPollAt ? new Date(n.lastPollAt).toISOString() : null,
      version: n.build ? buildId(n.build) : null,
      build: n.build ?? null,
      devices: n.devices,
      models: n.models,
    })),
  };
}

/** Each discovered neuron whose build is not the gateway's, as "name: build (gateway: build)". */
export function versionSkew(nodes: NodeState[]): string[] {
  return nodes
    .filter((n) => n.discovered)
    .flatMap((n) => {
      const its = skewOf(n);
      return its === null ? [] : [`${n.name}: ${its} (gateway: ${gatewayBuild()})`];
    });
}
