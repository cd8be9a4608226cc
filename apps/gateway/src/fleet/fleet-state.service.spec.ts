import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { CortexConfig } from '@app/core';
import { findReplica, heldBy } from '../router/routing-policy';
import type { NeuronModel } from './fleet.types';
import { FleetStateService } from './fleet-state.service';

const model = (id: string, in_flight = 0): NeuronModel => ({
  id,
  device: 'cpu',
  status: 'loaded',
  vram_mb: 10,
  context_size: 4096,
  in_flight,
  queue_depth: 0,
  max_in_flight: 8,
  last_used_at: null,
  loaded_at: null,
});

function fleetOf(names: string[]): FleetStateService {
  const cfg = { neurons: names.map((name) => ({ name, endpoint: `http://${name}` })) } as unknown as CortexConfig;
  const fleet = new FleetStateService(cfg);
  for (const n of fleet.all()) Object.assign(n, { healthy: true, discovered: true });
  return fleet;
}

const names = ['a', 'b', 'c'];
const ids = ['m1', 'm2', 'm3'];
const op = fc.oneof(
  fc.record({
    kind: fc.constant('set' as const),
    node: fc.constantFrom(...names),
    models: fc.uniqueArray(fc.constantFrom(...ids)),
  }),
  fc.record({ kind: fc.constant('upsert' as const), node: fc.constantFrom(...names), id: fc.constantFrom(...ids) }),
  fc.record({ kind: fc.constant('remove' as const), node: fc.constantFrom(...names), id: fc.constantFrom(...ids) }),
);

describe('FleetStateService', () => {
  it('keeps the replica index equal to a scan of every node, whatever changes the model lists', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 30 }), (ops) => {
        const fleet = fleetOf(names);
        for (const o of ops) {
          if (o.kind === 'set')
            fleet.setModels(
              o.node,
              o.models.map((id) => model(id)),
            );
          else if (o.kind === 'upsert') fleet.upsertModel(o.node, model(o.id));
          else fleet.removeModel(o.node, o.id);
        }
        for (const id of ids) {
          const pairs = (xs: readonly { node: { name: string }; model: NeuronModel }[]) =>
            xs.map((h) => `${h.node.name}/${h.model.id}`).sort();
          expect(pairs(fleet.replicas(id))).toEqual(pairs(heldBy(fleet.all(), id)));
        }
      }),
      { numRuns: 300 },
    );
  });

  it('spreads a burst between polls over idle replicas by counting its own requests', () => {
    const fleet = fleetOf(names);
    for (const n of names) fleet.setModels(n, [model('m1')]);
    const chosen: string[] = [];
    for (let i = 0; i < 9; i++) {
      const r = findReplica(fleet.all(), 'm1', [], undefined, fleet.replicas('m1'));
      if (r.kind !== 'loaded') throw new Error(r.kind);
      chosen.push(r.node.name);
      fleet.began(r.node.name, 'm1');
    }
    expect(chosen.filter((n) => n === 'a')).toHaveLength(3);
    expect(chosen.filter((n) => n === 'b')).toHaveLength(3);
    expect(chosen.filter((n) => n === 'c')).toHaveLength(3);
  });

  it('does not count twice what the next poll reports, and forgets what ended', () => {
    const fleet = fleetOf(['a', 'b']);
    fleet.setModels('a', [model('m1')]);
    fleet.setModels('b', [model('m1')]);
    const end = [fleet.began('a', 'm1'), fleet.began('a', 'm1')];
    // The poll sees a's two requests; b is idle: b is preferred, and a counts 2, not 4.
    fleet.setModels('a', [model('m1', 2)]);
    fleet.began('b', 'm1');
    fleet.began('b', 'm1');
    let r = findReplica(fleet.all(), 'm1', [], undefined, fleet.replicas('m1'));
    expect(r.kind === 'loaded' && r.node.name).toBe('a'); // 2 vs 2: ties go by name
    end.forEach((f) => {
      f();
      f(); // idempotent
    });
    r = findReplica(fleet.all(), 'm1', [], undefined, fleet.replicas('m1'));
    expect(r.kind === 'loaded' && r.node.name).toBe('a'); // a: 2 polled − 2 ended = 0; b: 2
  });
});

describe('FleetStateService health (its one writer)', () => {
  it('turns a node unhealthy after unhealthy_after failures in a row, healthy again on one good poll', () => {
    const fleet = fleetOf(['a']);
    const a = fleet.get('a')!;
    expect(fleet.pollFailed('a', 3, 'refused')).toBe(false);
    expect(fleet.pollFailed('a', 3, 'refused')).toBe(false);
    expect(a.healthy).toBe(true);
    expect(fleet.pollFailed('a', 3, 'timed out')).toBe(true); // this one turned it
    expect(a).toMatchObject({ healthy: false, failures: 3, lastError: 'timed out' });
    expect(fleet.pollFailed('a', 3, 'refused')).toBe(false); // already unhealthy: not turned again
    expect(fleet.polled('a', [model('m1')], [], 1234)).toBe(true); // recovered
    expect(a).toMatchObject({ healthy: true, failures: 0, lastError: null, lastPollAt: 1234 });
    expect(fleet.replicas('m1').map((h) => h.node.name)).toEqual(['a']);
    expect(fleet.polled('a', [], [], 1300)).toBe(false); // healthy already
    expect(fleet.replicas('m1')).toEqual([]);
  });
});
