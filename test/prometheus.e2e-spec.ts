import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse, stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GatewayHandle, startGateway } from './helpers/gateway';
import { type NeuronHandle, startNeuron } from './helpers/neuron';
import { freePort, readSse, scratch, until } from './helpers/processes';

// A real Prometheus (Debian `prometheus`, which `npm test` installs when missing) scrapes a running
// gateway and neuron with the repo's own scrape config (deploy/prometheus/prometheus.yml, the gateway's
// address pointed at 127.0.0.1): the neuron is found and scraped through the gateway, with its token,
// and every dashboard panel that traffic can fill has data.

type Config = { global: Record<string, unknown>; scrape_configs: Array<Record<string, unknown>> };

describe('Prometheus scrapes the fleet', () => {
  let neuron: NeuronHandle;
  let gw: GatewayHandle;
  let prom: ChildProcess;
  let promUrl = '';
  const s = scratch('prometheus');

  beforeAll(async () => {
    execFileSync('prometheus', ['--version']); // installed by npm test; missing fails here, never skips
    // The neuron wants a token, which only the gateway holds; the team key has limits, so the
    // per-key panel has series.
    neuron = await startNeuron('devices = ["cpu"]\ntoken = "neuron-secret"\n');
    gw = await startGateway({
      neurons: [],
      models: '[[models]]\nid = "chat"\nsource = "tiny.gguf"\ncontext_size = 1024\n',
      extra:
        `[[neurons]]\nname = "n"\nendpoint = "${neuron.url}"\ntoken = "neuron-secret"\n` +
        '[[auth.keys]]\nkey = "sk-team"\naccount_id = "team"\nrequests_per_minute = 1000\n',
    });
    await until(async () => (await fetch(`${gw.url}/readyz`)).status === 200);
    // The shipped file as it is, but for the compose hostname of the gateway (and a 1 s interval):
    // no job is added, so the neurons are scraped the way a deployment would scrape them.
    const shipped = readFileSync(resolve(__dirname, '../deploy/prometheus/prometheus.yml'), 'utf8');
    const cfg = parse(shipped.replaceAll('gateway:31314', new URL(gw.metricsUrl).host)) as Config;
    cfg.global.scrape_interval = '1s';
    for (const job of cfg.scrape_configs)
      for (const sd of (job.http_sd_configs ?? []) as Array<Record<string, unknown>>) sd.refresh_interval = '1s';
    expect(cfg.scrape_configs.map((j) => j.job_name)).toEqual(['cortex-gateway', 'cortex-neuron']);
    const file = join(s.dir, 'prometheus.yml');
    writeFileSync(file, stringify(cfg));
    const port = await freePort();
    promUrl = `http://127.0.0.1:${port}`;
    prom = spawn('prometheus', [
      `--config.file=${file}`,
      `--storage.tsdb.path=${join(s.dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
    ]);
    await until(async () => (await fetch(`${promUrl}/-/ready`).catch(() => null))?.ok, 30_000, 200);
  }, 60_000);
  afterAll(async () => {
    prom?.kill('SIGKILL');
    await gw?.close();
    await neuron?.close();
    s.cleanup();
  });

  const query = async (q: string) => {
    const r = (await (await fetch(`${promUrl}/api/v1/query?query=${encodeURIComponent(q)}`)).json()) as {
      data: { result: Array<{ metric: Record<string, string>; value: [number, string] }> };
    };
    return r.data.result;
  };

  const ask = (body: Record<string, unknown>) =>
    fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer sk-team' },
      body: JSON.stringify({ model: 'chat', messages: [{ role: 'user', content: 'x' }], ...body }),
    });

  it('answers cortex_requests_total > 0 and a TTFT quantile after traffic', async () => {
    for (let i = 0; i < 3; i++) await readSse(await ask({ stream: true, max_tokens: 24 }));
    expect((await ask({ max_tokens: -1 })).status).toBe(400); // an error for the errors panel
    const up = await until(
      async () => {
        const r = await query('up');
        return r.length === 2 && r.every((x) => x.value[1] === '1') ? r : undefined;
      },
      30_000,
      500,
    );
    expect(up.map((x) => x.metric.job).sort()).toEqual(['cortex-gateway', 'cortex-neuron']);
    expect(up.find((x) => x.metric.job === 'cortex-neuron')!.metric.neuron).toBe('n');
    const requests = await until(
      async () => {
        const r = await query('sum(cortex_requests_total)');
        return Number(r[0]?.value[1]) >= 3 ? r : undefined;
      },
      30_000,
      500,
    );
    expect(Number(requests[0]!.value[1])).toBeGreaterThanOrEqual(3);
    const p50 = await until(
      async () => {
        const r = await query('histogram_quantile(0.5, sum by (le) (cortex_time_to_first_token_seconds_bucket))');
        const v = Number(r[0]?.value[1]);
        return Number.isFinite(v) && v > 0 ? v : undefined;
      },
      30_000,
      500,
    );
    expect(p50).toBeLessThan(60);
    const neuronTokens = await query('sum(neuron_tokens_total{kind="completion"})');
    expect(Number(neuronTokens[0]?.value[1])).toBeGreaterThanOrEqual(12);
  });

  it('fills every dashboard panel after traffic (but GPU telemetry, which a CPU neuron has not)', async () => {
    type Panel = { title: string; targets?: Array<{ expr: string }>; panels?: Panel[] };
    const dashboard = JSON.parse(
      readFileSync(resolve(__dirname, '../deploy/grafana/dashboards/cortex-fleet.json'), 'utf8'),
    ) as { panels: Panel[] };
    const panels = dashboard.panels.flatMap((p) => [p, ...(p.panels ?? [])]).filter((p) => p.targets?.length);
    const gpuOnly = ['GPU utilisation (%) and temperature (°C)'];
    expect(panels.map((p) => p.title)).toEqual(expect.arrayContaining(gpuOnly));
    const empty: string[] = [];
    for (const p of panels.filter((x) => !gpuOnly.includes(x.title))) {
      const filled = await until(
        async () => {
          for (const t of p.targets!) if ((await query(t.expr)).length) return true;
          return undefined;
        },
        20_000,
        500,
      ).catch(() => false);
      if (!filled) empty.push(p.title);
    }
    expect(empty).toEqual([]);
  });
});
