import { describe, expect, it } from 'vitest';
import type { NeuronModel } from '../fleet/fleet.types';
import { type EvictionContext, chooseVictims, displaceable, evictionOrder, idleExpired } from './eviction-policy';

const NOW = Date.parse('2026-11-27T12:00:00Z');
const ago = (s: number) => new Date(NOW - s * 1000).toISOString();
const m = (id: string, extra: Partial<NeuronModel> = {}): NeuronModel => ({
  id,
  device: 'cpu',
  status: 'loaded',
  vram_mb: 40,
  context_size: 1024,
  in_flight: 0,
  queue_depth: 0,
  max_in_flight: 1,
  last_used_at: ago(100),
  loaded_at: ago(1000),
  ...extra,
});
const priorities: Record<string, number> = { low: 10, mid: 100, high: 500 };
const ctx = (strategy: 'lru' | 'priority', extra: Partial<EvictionContext> = {}): EvictionContext => ({
  strategy,
  now: NOW,
  minResidencyS: 30,
  priorityOf: (id) => priorities[id] ?? 100,
  sizeOf: (x) => x.vram_mb ?? 0,
  ...extra,
});

describe('eviction policy', () => {
  it.each([
    ['a loaded, idle, old model', m('mid'), true],
    ['a pinned model', m('mid', { pinned: true }), false],
    ['a model with requests in flight', m('mid', { in_flight: 1 }), false],
    ['a model with queued requests', m('mid', { queue_depth: 2 }), false],
    ['a model loaded 10 s ago (min_residency_s 30)', m('mid', { loaded_at: ago(10) }), false],
    ['a model of higher priority than the incoming one', m('high'), false],
    ['a model that is still loading', m('mid', { status: 'loading' }), false],
    ['a recovering model', m('mid', { status: 'recovering' }), false],
  ])('%s → displaceable: %s', (_name, model, expected) => {
    expect(displaceable(model, 100, ctx('lru'))).toBe(expected);
  });

  it('orders LRU by last use, and priority by priority then last use — the strategies differ', () => {
    const models = [
      m('low', { last_used_at: ago(5) }),
      m('mid', { last_used_at: ago(500) }),
      m('x', { last_used_at: null }),
    ];
    expect(evictionOrder(models, ctx('lru')).map((x) => x.id)).toEqual(['x', 'mid', 'low']);
    expect(evictionOrder(models, ctx('priority')).map((x) => x.id)).toEqual(['low', 'x', 'mid']);
  });

  it('chooses the fewest victims that make room, [] when it fits, null when it never can', () => {
    const resident = [
      m('a', { last_used_at: ago(300) }),
      m('b', { last_used_at: ago(200) }),
      m('c', { last_used_at: ago(100) }),
    ];
    expect(chooseVictims(resident, 40, 50, 100, ctx('lru'))).toEqual([]);
    expect(chooseVictims(resident, 60, 30, 100, ctx('lru'))!.map((x) => x.id)).toEqual(['a']);
    expect(chooseVictims(resident, 100, 10, 100, ctx('lru'))!.map((x) => x.id)).toEqual(['a', 'b', 'c']);
    expect(chooseVictims(resident, 200, 10, 100, ctx('lru'))).toBeNull();
    expect(chooseVictims([m('a', { pinned: true })], 60, 30, 100, ctx('lru'))).toBeNull();
  });

  it('expires idle models by their TTL only when they are displaceable', () => {
    expect(idleExpired(m('a', { last_used_at: ago(700) }), 600, ctx('lru'))).toBe(true);
    expect(idleExpired(m('a', { last_used_at: ago(100) }), 600, ctx('lru'))).toBe(false);
    expect(idleExpired(m('a', { last_used_at: ago(700) }), 0, ctx('lru'))).toBe(false);
    expect(idleExpired(m('a', { last_used_at: ago(700), pinned: true }), 600, ctx('lru'))).toBe(false);
    expect(idleExpired(m('a', { last_used_at: ago(700), in_flight: 1 }), 600, ctx('lru'))).toBe(false);
  });
});
