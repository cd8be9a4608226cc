import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse, stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GatewayHandle, startGateway } from './helpers/gateway';
import { type NeuronHandle, startNeuron } from './helpers/neuron';
import { freePort, readSse, scratch, until } from './helpers/processes';

// A real Prometheus (Debian `prometheus`, which .ci/run installs) scrapes a running gateway and
// neuron with the repo's own scrape config (deploy/prometheus/prometheus.yml, targets pointed at
// 127.0.0.1, plus the neuron job its comment describes), and its HTTP API answers for cortex's series.

type Config = { global: Record<string, unknown>; scrape_configs: Array<Record<string, unknown>> };

describe('Prometheus scrapes the fleet', () => {
  let neuron: NeuronHandle;
  let gw: GatewayHandle;
  let prom: ChildProcess;
  let promUrl = '';
  const s = scratch('prometheus');

  beforeAll(async () => {
    execFileSync('prometheus', ['--version']); // installed by .ci/run; missing fails here, never skips
    neuron = await startNeuron('devices = ["cpu"]\n');
    gw = await startGateway({
      neurons: [{ name: 'n', url: neuron.url }],
      models: '[[models]]\nid = "chat"\nsource = "tiny.gguf"\ncontext_size = 1024\n',
    });
    const cfg = parse(readFileSync(resolve(__dirname, '../deploy/prometheus/prometheus.yml'), 'utf8')) as Config;
    cfg.global.scrape_interval = '1s';
    const gateway = cfg.scrape_configs.find((j) => j.job_name === 'cortex-gateway')!;
    gateway.static_configs = [{ targets: [new URL(gw.metricsUrl).host] }];
    cfg.scrape_configs.push({ job_name: 'cortex-neuron', static_configs: [{ targets: [new URL(neuron.url).host] }] });
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

  it('answers cortex_requests_total > 0 and a TTFT quantile after traffic', async () => {
    for (let i = 0; i < 3; i++) {
      const res = await fetch(`${gw.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          model: 'chat',
          stream: true,
          max_tokens: 4,
          messages: [{ role: 'user', content: 'x' }],
        }),
      });
      await readSse(res);
    }
    const up = await until(
      async () => {
        const r = await query('up');
        return r.length === 2 && r.every((x) => x.value[1] === '1') ? r : undefined;
      },
      30_000,
      500,
    );
    expect(up.map((x) => x.metric.job).sort()).toEqual(['cortex-gateway', 'cortex-neuron']);
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
});
