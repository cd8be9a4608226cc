import { describe, expect, it } from 'vitest';
import type { EvictionContext } from '../evictor/eviction-policy';
import type { NeuronModel, NodeState } from '../fleet/fleet.types';
import { deviceFree, findReplica, placeModel } from './routing-policy';

const NOW = Date.parse('2026-11-27T12:00:00Z');
const model = (id: string, extra: Partial<NeuronModel> = {}): NeuronModel => ({
  id,
  device: 'cuda-0',
  status: 'loaded',
  vram_mb: 4000,
  context_size: 4096,
  in_flight: 0,
  queue_depth: 0,
  max_in_flight: 1,
  last_used_at: new Date(NOW - 60_000).toISOString(),
  loaded_at: new Date(NOW - 600_000).toISOString(),
  ...extra,
});
const node = (
  name: string,
  models: NeuronModel[] = [],
  extra: Partial<NodeState> = {},
  totalMb = 24000,
): NodeState => ({
  name,
  endpoint: `http://${name}:13131`,
  healthy: true,
  failures: 0,
  discovered: true,
  devices: [{ id: 'cuda-0', kind: 'cuda', state: 'ready', vram_total_mb: totalMb, vram_free_mb: null }],
  models,
  lastPollAt: NOW,
  lastError: null,
  ...extra,
});
const ctx: EvictionContext = {
  strategy: 'lru',
  now: NOW,
  minResidencyS: 30,
  priorityOf: () => 100,
  sizeOf: (m) => m.vram_mb ?? 0,
};

describe('findReplica', () => {
  it.each([
    [
      'the least busy loaded replica',
      [
        node('b', [model('m', { in_flight: 2 })]),
        node('a', [model('m', { in_flight: 1, queue_depth: 3 })]),
        node('c', [model('m', { in_flight: 1 })]),
      ],
      'loaded',
      'c',
    ],
    ['ties broken by node name', [node('b', [model('m')]), node('a', [model('m')])], 'loaded', 'a'],
    ['unhealthy nodes skipped', [node('a', [model('m')], { healthy: false }), node('b', [model('m')])], 'loaded', 'b'],
    ['recovering when nothing is loaded', [node('a', [model('m', { status: 'recovering' })])], 'recovering', 'a'],
    ['loading elsewhere', [node('a', [model('m', { status: 'loading' })])], 'loading', 'a'],
    ['absent', [node('a', [model('x')])], 'absent', undefined],
    ['no healthy node', [node('a', [], { healthy: false })], 'no_healthy_nodes', undefined],
  ])('%s', (_name, nodes, kind, nodeName) => {
    const r = findReplica(nodes as NodeState[], 'm');
    expect(r.kind).toBe(kind);
    expect((r as { node?: NodeState }).node?.name).toBe(nodeName);
  });

  it('prefers the replica where the session is warm, within the overload margin', () => {
    const kv = (warm: string[]) => ({
      kv: {
        sequences: 3,
        warm_sessions: warm,
        sequence_hits: 0,
        tier_hits: 0,
        misses: 0,
        tier_saves: 0,
        tier_entries: 0,
        tier_bytes: 0,
        restore_ms: 0,
        restored_tokens: 0,
        prefill_ms: 0,
        prefilled_tokens: 0,
      },
    });
    const fleet = (busyB: number) => [
      node('a', [model('m')]),
      node('b', [model('m', { in_flight: busyB, ...kv(['s1']) })]),
    ];
    const pick = (nodes: NodeState[], session: string, lastNode?: string) =>
      (findReplica(nodes, 'm', [], { session, margin: 2, lastNode }) as { node: NodeState }).node.name;
    expect(pick(fleet(2), 's1')).toBe('b'); // warm, 2 busier: within the margin
    expect(pick(fleet(3), 's1')).toBe('a'); // overloaded beyond the margin: least busy instead
    expect(pick(fleet(0), 'other')).toBe('a'); // a session warm nowhere: least busy, ties by name
    expect(pick(fleet(1), 'other', 'b')).toBe('b'); // this gateway sent it to b last, before any poll
    // Two gateways with the same fleet view choose the same replica.
    expect(pick(fleet(1), 's1')).toBe(pick(structuredClone(fleet(1)), 's1'));
  });

  it('can exclude a node (retry after a connection failure)', () => {
    expect(findReplica([node('a', [model('m')]), node('b', [model('m')])], 'm', ['a'])).toMatchObject({
      kind: 'loaded',
      node: { name: 'b' },
    });
  });
});

describe('placeModel', () => {
  const incoming = { id: 'new', needMb: 8000, priority: 100 };

  it('prefers a node where it fits now, then the most free memory, then the name', () => {
    const nodes = [
      node('small', [], {}, 6000),
      node('b', [model('x', { vram_mb: 10000 })]),
      node('a', [model('x', { vram_mb: 10000 })]),
    ];
    const r = placeModel(nodes, incoming, ctx);
    expect(r).toMatchObject({ kind: 'placed', placement: { node: { name: 'a' }, freeMb: 14000, victims: [] } });
  });

  it('evicts when nothing fits free, choosing the node whose victims make room', () => {
    const nodes = [
      node('a', [model('busy', { vram_mb: 20000, in_flight: 1 })]),
      node('b', [model('idle', { vram_mb: 20000 })]),
    ];
    const r = placeModel(nodes, incoming, ctx);
    expect(r.kind).toBe('placed');
    if (r.kind !== 'placed') return;
    expect(r.placement.node.name).toBe('b');
    expect(r.placement.victims.map((v) => v.id)).toEqual(['idle']);
  });

  it('honours pinned_on and min_device_vram_mb', () => {
    const nodes = [node('a'), node('b', [], {}, 48000)];
    expect(placeModel(nodes, { ...incoming, pinnedOn: ['a'] }, ctx)).toMatchObject({
      placement: { node: { name: 'a' } },
    });
    expect(placeModel(nodes, { ...incoming, minDeviceVramMb: 40000 }, ctx)).toMatchObject({
      placement: { node: { name: 'b' } },
    });
    expect(placeModel(nodes, { ...incoming, pinnedOn: ['zzz'] }, ctx)).toEqual({
      kind: 'infeasible',
      reasons: ['a: not in pinned_on', 'b: not in pinned_on'],
    });
  });

  it('says no_room when even evictions cannot make room', () => {
    expect(placeModel([node('a', [model('p', { vram_mb: 20000, pinned: true })])], incoming, ctx)).toEqual({
      kind: 'no_room',
    });
  });

  it('never trusts reported free memory above total minus resident models', () => {
    const n = node('a', [model('x', { vram_mb: 10000 })]);
    n.devices[0]!.vram_free_mb = 23000;
    expect(deviceFree(n, 'cuda-0', ctx.sizeOf)).toBe(14000);
    n.devices[0]!.vram_free_mb = 5000;
    expect(deviceFree(n, 'cuda-0', ctx.sizeOf)).toBe(5000);
  });
});

describe('servability', () => {
  const unservable = { ok: false, reason: 'insufficient_vram' as const, detail: '-5 MiB free' };

  it('skips a replica whose neuron says it cannot serve; absent `servable` counts as servable', () => {
    const nodes = [node('a', [model('m', { servable: unservable })]), node('b', [model('m', { in_flight: 3 })])];
    const r = findReplica(nodes, 'm');
    expect(r.kind === 'loaded' && r.node.name).toBe('b');
  });

  it('says unservable, naming the node, when no replica can serve', () => {
    const nodes = [
      node('b', [model('m', { servable: unservable })]),
      node('a', [model('m', { servable: unservable })]),
    ];
    const r = findReplica(nodes, 'm');
    expect(r.kind).toBe('unservable');
    expect(r.kind === 'unservable' && r.node.name).toBe('a');
  });

  it('prefers waiting for a load elsewhere over an unservable replica', () => {
    const nodes = [node('a', [model('m', { servable: unservable })]), node('b', [model('m', { status: 'loading' })])];
    expect(findReplica(nodes, 'm').kind).toBe('loading');
  });
});

describe('device groups (min_devices)', () => {
  const incoming = { id: 'new', needMb: 8000, priority: 100 };
  const dev = (id: string, totalMb = 24000, extra: Partial<NodeState['devices'][number]> = {}) => ({
    id,
    kind: 'cuda' as const,
    state: 'ready' as const,
    vram_total_mb: totalMb,
    vram_free_mb: null,
    ...extra,
  });
  const big = { ...incoming, id: 'big', needMb: 40000, minDevices: 2 };

  it('refuses a node with too few devices, or too few above the floor, saying which and why', () => {
    const one = node('one');
    const small = node('small', [], { devices: [dev('cuda-0', 24000), dev('cuda-1', 16000)] });
    expect(placeModel([one, small], { ...big, minDeviceVramMb: 20000 }, ctx)).toEqual({
      kind: 'infeasible',
      reasons: [
        'one: 1 usable device(s), min_devices is 2',
        'small: 1 device(s) with at least 20000 MB (min_device_vram_mb), needs 2',
      ],
    });
  });

  it('takes the emptiest devices whole, its room their summed memory, and evicts every model on them', () => {
    const n = node('n', [model('x', { device: 'cuda-1', vram_mb: 1000 })], {
      devices: [dev('cuda-0'), dev('cuda-1'), dev('cuda-2')],
    });
    const r = placeModel([n], big, ctx);
    expect(r).toMatchObject({
      kind: 'placed',
      placement: { device: 'cuda-0+cuda-2', devices: ['cuda-0', 'cuda-2'], victims: [] },
    });
    const full = node('n', [model('x', { device: 'cuda-0' }), model('y', { device: 'cuda-1' })], {
      devices: [dev('cuda-0'), dev('cuda-1')],
    });
    const p = placeModel([full], big, ctx);
    expect(p.kind === 'placed' && p.placement.victims.map((v) => v.id).sort()).toEqual(['x', 'y']);
    expect(placeModel([full], { ...big, needMb: 50000 }, ctx)).toEqual({ kind: 'no_room' });
  });

  it('counts a group model on every device it occupies, and evicts it whole to free one of them', () => {
    const grouped = model('g', { device: 'cuda-0+cuda-1', devices: ['cuda-0', 'cuda-1'], vram_mb: 30000 });
    const n = node('n', [grouped], {
      devices: [dev('cuda-0', 24000, { group: 'cuda-0+cuda-1' }), dev('cuda-1', 24000, { group: 'cuda-0+cuda-1' })],
    });
    expect(deviceFree(n, 'cuda-0', (m) => m.vram_mb ?? 0)).toBe(9000);
    const r = placeModel([n], { ...incoming, needMb: 4000 }, ctx);
    expect(r.kind === 'placed' && r.placement.victims.map((v) => v.id)).toEqual(['g']);
  });
});
