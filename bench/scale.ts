/**
 * `npm run bench:scale`: one gateway over a large fake fleet (200 neurons × 4 devices × 20 models by
 * default): the poll-cycle time, the routing decision's p50/p99 over that fleet's polled state, the
 * cold-load placement time, and two gateway replicas compared request by request and plan by plan.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NeuronHealth, NeuronModelList } from '@app/core';
import { FleetStateService } from '../apps/gateway/src/fleet/fleet-state.service';
import { findReplica } from '../apps/gateway/src/router/routing-policy';
import { startFleet, writeGatewayConfig } from './fleet';
import { machine, percentile, startCli, writeSection } from './lib';

const NEURONS = Number(process.env.CORTEX_BENCH_NEURONS ?? 200);
const DEVICES = 4;
const PER_NEURON = 20;
const RESIDENT = Array.from({ length: 100 }, (_, i) => `m${String(i).padStart(3, '0')}`);
const COLD = Array.from({ length: 10 }, (_, i) => `cold${i}`);

const post = async (url: string, body: object, headers: Record<string, string> = {}) => {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
};

const metric = async (metricsUrl: string, name: string) =>
  Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(await (await fetch(`${metricsUrl}/metrics`)).text())?.[1]);

/** The polled state the router decides on, fetched from the neurons as the poller does, in the router's own index. */
async function polledState(urls: string[]): Promise<FleetStateService> {
  const names = urls.map((_, i) => `n${String(i).padStart(3, '0')}`);
  const fleet = new FleetStateService({ neurons: urls.map((u, i) => ({ name: names[i]!, endpoint: u })) } as never);
  await Promise.all(
    urls.map(async (u, i) => {
      const models = (await (await fetch(`${u}/models`)).json()) as NeuronModelList;
      const health = (await (await fetch(`${u}/health`)).json()) as NeuronHealth;
      const node = fleet.get(names[i]!)!;
      Object.assign(node, { healthy: true, discovered: true, devices: health.devices, lastPollAt: Date.now() });
      fleet.setModels(node.name, models.data);
    }),
  );
  return fleet;
}

/** µs per routing decision, as the router makes it (indexed) or over the whole fleet's model lists. */
function timeDecisions(fleet: FleetStateService, indexed: boolean): number[] {
  const out: number[] = [];
  const nodes = fleet.all();
  for (let i = 0; i < 22_000; i++) {
    const id = RESIDENT[(i * 37) % RESIDENT.length]!;
    const t0 = performance.now();
    findReplica(nodes, id, [], { session: `s${i % 50}`, margin: 2 }, indexed ? fleet.replicas(id) : undefined);
    if (i >= 2000) out.push((performance.now() - t0) * 1000); // the first 2,000 warm up
  }
  return out;
}

/** Nodes the journal of `gatewayUrl` says served each request id. */
async function servedBy(gatewayUrl: string): Promise<Map<string, string>> {
  const j = (await (await fetch(`${gatewayUrl}/admin/requests`)).json()) as {
    requests: Array<{ request_id: string; node?: string }>;
  };
  return new Map(j.requests.map((r) => [r.request_id, r.node ?? '']));
}

const rssMb = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'cortex-bench-scale-'));
  const stops: Array<() => Promise<void>> = [];
  try {
    const fleet = await startFleet({
      neurons: NEURONS,
      catalogue: RESIDENT,
      modelsPerNeuron: PER_NEURON,
      options: { devices: DEVICES, vramMb: 1100, modelMb: 200, tokensPerSecond: 0, pingMs: 60_000 },
    });
    stops.push(fleet.stop);
    const cfg = writeGatewayConfig(
      dir,
      fleet.urls,
      [...RESIDENT, ...COLD],
      '[poller]\ninterval_ms = 1000\ntimeout_ms = 2000\n[eviction]\nmin_residency_s = 0\n',
      200,
    );
    const a = await startCli(['serve', '--config', cfg]);
    stops.push(a.stop);
    const b = await startCli(['serve', '--config', cfg]);
    stops.push(b.stop);
    const aMetrics = /metrics (http:\/\/\S+?)\/metrics/.exec(a.banner)![1]!;

    // Poll cycle: the gateway's own gauge, sampled once a second.
    const cycles: number[] = [];
    for (let i = 0; i < 15; i++) {
      await new Promise((r) => setTimeout(r, 1000));
      cycles.push((await metric(aMetrics, 'cortex_poll_cycle_seconds')) * 1000);
    }
    const rss = rssMb(a.child.pid!);

    // Routing decision over the polled state of the whole fleet, in this process.
    const polled = await polledState(fleet.urls);
    const decisions = timeDecisions(polled, true);
    const unindexed = timeDecisions(polled, false);

    // Two replicas: the same requests routed by each, compared by the node their journals name.
    let agreeRoutes = 0;
    for (let k = 0; k < RESIDENT.length; k += 40) {
      const batch = RESIDENT.slice(k, k + 40);
      for (const gw of [a, b])
        for (const id of batch)
          await post(
            `${gw.url}/v1/chat/completions`,
            { model: id, max_tokens: 1, messages: [{ role: 'user', content: 'hi' }] },
            { 'x-request-id': `${id}-route` },
          );
      const [byA, byB] = await Promise.all([servedBy(a.url), servedBy(b.url)]);
      agreeRoutes += batch.filter(
        (id) => byA.get(`${id}-route`) && byA.get(`${id}-route`) === byB.get(`${id}-route`),
      ).length;
    }

    // Cold loads: both replicas' plans (dry runs) compared, then A loads and B's next route follows.
    let agreePlans = 0;
    const plans: string[] = [];
    for (const id of COLD) {
      const [pa, pb] = await Promise.all([a, b].map((gw) => post(`${gw.url}/admin/models/place`, { model: id })));
      const key = (p: Record<string, unknown>) => JSON.stringify([p.node, p.device, p.evict]);
      if (pa!.status === 200 && key(pa!.body) === key(pb!.body)) agreePlans++;
      plans.push(
        `${id} → ${String(pa!.body.node)}/${String(pa!.body.device)} evicting ${(pa!.body.evict as string[]).join(', ') || 'nothing'}`,
      );
    }
    const placeMs: number[] = [];
    const loaded: Array<{ id: string; node: string }> = [];
    for (const id of COLD.slice(0, 5)) {
      const t0 = performance.now();
      const r = await post(`${a.url}/admin/models/load`, { model: id });
      placeMs.push(performance.now() - t0);
      if (r.status === 200) loaded.push({ id, node: String(r.body.node) });
    }
    await new Promise((r) => setTimeout(r, 2500)); // B's next poll
    let followed = 0;
    for (const { id, node } of loaded) {
      await post(
        `${b.url}/v1/chat/completions`,
        { model: id, max_tokens: 1, messages: [{ role: 'user', content: 'hi' }] },
        { 'x-request-id': `${id}-after` },
      );
      if ((await servedBy(b.url)).get(`${id}-after`) === node) followed++;
    }

    const p = (xs: number[], q: number) => percentile(xs, q);
    const md = [
      '## Scale: one gateway over a large fleet (`npm run bench:scale`)',
      '',
      `${machine()}, ${new Date().toISOString().slice(0, 10)}. ${NEURONS} fake neurons (test/fakes, one process) × ${DEVICES} devices × ${PER_NEURON} resident models (${RESIDENT.length} distinct, ${(NEURONS * PER_NEURON) / RESIDENT.length} replicas each; every device full, so a cold load evicts), ${COLD.length} more catalogue models cold; poller.interval_ms 1000.`,
      '',
      '| measure | p50 | p99 / max | target |',
      '| --- | --- | --- | --- |',
      `| poll cycle (\`cortex_poll_cycle_seconds\`, 15 samples) | ${p(cycles, 50).toFixed(0)} ms | ${Math.max(...cycles).toFixed(0)} ms | ≤ 1,000 ms: **${Math.max(...cycles) <= 1000 ? 'met' : 'missed'}** |`,
      `| routing decision (\`findReplica\` on the router's replica index, ${NEURONS * PER_NEURON} resident models in the fleet, 20,000 decisions) | ${p(decisions, 50).toFixed(1)} µs | ${p(decisions, 99).toFixed(1)} µs | p99 ≤ 50 µs: **${p(decisions, 99) <= 50 ? 'met' : 'missed'}** |`,
      `| the same without the router's replica index (every node's model list scanned) | ${p(unindexed, 50).toFixed(1)} µs | ${p(unindexed, 99).toFixed(1)} µs | — |`,
      `| cold-load placement (\`POST /admin/models/load\`: fresh /models from every neuron, plan, evict, load at once) | ${p(placeMs, 50).toFixed(0)} ms | ${Math.max(...placeMs).toFixed(0)} ms | — |`,
      '',
      `Gateway RSS after the poll samples: ${rss.toFixed(0)} MB.`,
      '',
      `Two replicas over the same fleet: **${agreeRoutes}/${RESIDENT.length}** requests routed to the same node (each model sent to A and B, compared in their request journals); **${agreePlans}/${COLD.length}** cold-load plans identical (\`POST /admin/models/place\`, node, device and victims); after A cold-loaded ${loaded.length} models, B routed **${followed}/${loaded.length}** to the node A chose once it had polled. Plans: ${plans.slice(0, 3).join('; ')}…`,
    ].join('\n');
    console.log(md);
    writeSection('scale', md);
  } finally {
    for (const stop of stops.reverse()) await stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

void main();
