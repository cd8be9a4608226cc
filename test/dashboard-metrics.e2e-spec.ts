import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GatewayHandle, startGateway } from './helpers/gateway';
import { type NeuronHandle, startNeuron } from './helpers/neuron';
import { json, until } from './helpers/processes';

// Every metric the Grafana dashboard draws is one a running gateway or neuron exports, and the
// gateway drops the series of a model that is gone.

const DASHBOARD = resolve(__dirname, '../deploy/grafana/dashboards/cortex-fleet.json');

/** Metric names in the dashboard's queries (histogram series by their base name). */
function referenced(): string[] {
  const d = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as { panels: Array<{ targets: Array<{ expr: string }> }> };
  const names = d.panels.flatMap((p) => p.targets.flatMap((t) => t.expr.match(/\b(?:cortex|neuron)_[a-z_]+/g) ?? []));
  return [...new Set(names.map((n) => n.replace(/_(bucket|sum|count)$/, '')))].sort();
}

const exported = (text: string) => new Set([...text.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]!));

describe('the Grafana dashboard', () => {
  let neuron: NeuronHandle;
  let gw: GatewayHandle;

  beforeAll(async () => {
    neuron = await startNeuron('devices = ["cpu"]\n');
    gw = await startGateway({
      neurons: [{ name: 'n', url: neuron.url }],
      models: '[[models]]\nid = "chat"\nsource = "tiny.gguf"\ncontext_size = 1024\n',
    });
    const r = await json(`${gw.url}/v1/chat/completions`, {
      model: 'chat',
      max_tokens: 2,
      messages: [{ role: 'user', content: 'x' }],
    });
    expect(r.status).toBe(200);
  });
  afterAll(async () => {
    await gw?.close();
    await neuron?.close();
  });

  it('draws only metrics that are exported, capacity ones included', async () => {
    const names = referenced();
    expect(names.length).toBeGreaterThanOrEqual(20);
    for (const m of [
      'cortex_model_queue_depth',
      'cortex_model_max_in_flight',
      'cortex_device_vram_used_mb',
      'neuron_admission_rejections_total',
    ])
      expect(names).toContain(m);
    const all = new Set([
      ...exported(await gw.metrics()),
      ...exported(await (await fetch(`${neuron.url}/metrics`)).text()),
    ]);
    expect(names.filter((n) => !all.has(n))).toEqual([]);
  });

  it('drops a model’s series once it is unloaded', async () => {
    expect(await gw.metrics()).toMatch(/cortex_model_max_in_flight\{node="n",model="chat"\} 1/);
    expect((await json(`${gw.url}/admin/models/unload`, { model: 'chat' })).status).toBe(200);
    const gone = /cortex_model_(in_flight|queue_depth|max_in_flight)\{node="n",model="chat"\}/;
    await until(async () => !gone.test(await gw.metrics()), 5000, 100);
  });
});
