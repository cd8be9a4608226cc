/**
 * A fleet of fake neurons (4 devices × 20 models each, every device full) behind two built gateway
 * replicas: both route every model to the same node and plan every cold load alike (node, device,
 * victims), because both decide on the neurons' state; once A has cold-loaded a model, B routes to
 * where A put it after its next poll. The poll-cycle gauge is exported. `npm run bench:scale` runs
 * the same at 200 neurons and times it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FleetProcess, spawnFakeFleet } from './fakes/fake-fleet';
import { type GatewayHandle, chatAs, servedBy, startGateway } from './helpers/gateway';
import { json, until } from './helpers/processes';

const NEURONS = 12;
const RESIDENT = Array.from({ length: 30 }, (_, i) => `m${String(i).padStart(2, '0')}`);
const COLD = ['cold0', 'cold1', 'cold2', 'cold3'];

describe(`two gateway replicas over ${NEURONS} fake neurons × 4 devices × 20 models`, () => {
  let fleet: FleetProcess;
  let a: GatewayHandle;
  let b: GatewayHandle;

  beforeAll(async () => {
    fleet = await spawnFakeFleet({
      neurons: NEURONS,
      catalogue: RESIDENT,
      modelsPerNeuron: 20,
      options: { devices: 4, vramMb: 1100, modelMb: 200, tokensPerSecond: 0 },
    });
    const spec = {
      neurons: fleet.urls.map((url, i) => ({ name: `n${String(i).padStart(2, '0')}`, url })),
      models: [...RESIDENT, ...COLD]
        .map((id) => `[[models]]\nid = "${id}"\nsource = "${id}.gguf"\nvram_mb = 200\n`)
        .join('\n'),
      extra: '[eviction]\nmin_residency_s = 0\n',
    };
    [a, b] = await Promise.all([startGateway(spec), startGateway(spec)]);
  }, 120_000);

  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()]);
    await fleet?.stop();
  });

  const chat = (gw: GatewayHandle, model: string, id: string) => chatAs(gw.url, model, id);

  it('exports how long a poll of the whole fleet took', async () => {
    const m = /^cortex_poll_cycle_seconds (\S+)$/m.exec(await a.metrics());
    expect(Number(m?.[1])).toBeGreaterThan(0);
  });

  it('routes every model to the same node from either replica', async () => {
    for (const gw of [a, b]) for (const id of RESIDENT) expect((await chat(gw, id, `${id}-r`)).status).toBe(200);
    const [byA, byB] = await Promise.all([servedBy(a.url), servedBy(b.url)]);
    for (const id of RESIDENT) {
      expect(byA.get(`${id}-r`), id).toMatch(/^n\d\d$/);
      expect(byB.get(`${id}-r`), id).toBe(byA.get(`${id}-r`));
    }
  });

  it('plans every cold load alike on both replicas, and B follows where A loaded it', async () => {
    for (const id of COLD) {
      const [pa, pb] = await Promise.all([a, b].map((gw) => json(`${gw.url}/admin/models/place`, { model: id })));
      expect(pa!.status).toBe(200);
      expect(pa!.body).toMatchObject({ model: id, dry_run: true, need_mb: 200, loaded_on: [] });
      expect((pa!.body.evict as string[]).length).toBe(1); // devices are full: one 200 MB model goes
      expect([pb!.body.node, pb!.body.device, pb!.body.evict]).toEqual([
        pa!.body.node,
        pa!.body.device,
        pa!.body.evict,
      ]);
    }
    const plan = await json(`${a.url}/admin/models/place`, { model: 'cold0' });
    const loaded = await json(`${a.url}/admin/models/load`, { model: 'cold0' });
    expect(loaded).toMatchObject({ status: 200, body: { model: 'cold0', node: plan.body.node, cold_start: true } });
    const victim = (plan.body.evict as string[])[0]!;
    const onNode = await json<{ data: Array<{ id: string }> }>(
      `${fleet.urls[Number(String(plan.body.node).slice(1))]}/models`,
    );
    expect(onNode.body.data.map((m) => m.id)).toContain('cold0');
    expect(onNode.body.data.map((m) => m.id)).not.toContain(victim);
    await until(async () => {
      const p = await json(`${b.url}/admin/models/place`, { model: 'cold0' });
      return (p.body.loaded_on as string[]).includes(String(plan.body.node));
    });
    expect((await chat(b, 'cold0', 'cold0-b')).status).toBe(200);
    expect((await servedBy(b.url)).get('cold0-b')).toBe(plan.body.node);
  });

  it('refuses a plan for a model outside the catalogue, and a node that does not exist, in the OpenAI dialect', async () => {
    expect(await json(`${a.url}/admin/models/place`, { model: 'nope' })).toMatchObject({
      status: 404,
      body: { error: { code: 'model_not_found', param: 'model' } },
    });
    expect(await json(`${a.url}/admin/models/place`, { model: 'cold1', node: 'n99' })).toMatchObject({
      status: 404,
      body: { error: { code: 'not_found', param: 'node' } },
    });
  });
});
