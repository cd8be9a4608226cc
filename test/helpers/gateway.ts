/** A gateway process for e2e specs, configured against neuron URLs, with its metrics URL. */
import { join } from 'node:path';
import { type Proc, scratch, startCortex, until, writeToml } from './processes';

export interface GatewayHandle extends Proc {
  metricsUrl: string;
  metrics(): Promise<string>;
  close(): Promise<void>;
}

export interface GatewaySpec {
  neurons: Array<{ name: string; url: string }>;
  models: string;
  extra?: string;
  env?: Record<string, string>;
}

export async function startGateway(spec: GatewaySpec): Promise<GatewayHandle> {
  const s = scratch('gateway');
  writeToml(join(s.dir, 'models.toml'), spec.models);
  const neurons = spec.neurons.map((n) => `[[neurons]]\nname = "${n.name}"\nendpoint = "${n.url}"\n`).join('\n');
  const cfg = writeToml(
    join(s.dir, 'cortex.toml'),
    `models_config = "models.toml"\n[gateway]\nlisten = "127.0.0.1:0"\nmetrics_listen = "127.0.0.1:0"\n` +
      `[poller]\ninterval_ms = 200\ntimeout_ms = 1000\nunhealthy_after = 2\n${spec.extra ?? ''}\n${neurons}`,
  );
  const proc = await startCortex(['serve', '--config', cfg], spec.env);
  const metricsUrl = /metrics (http:\/\/\S+?)\/metrics/.exec(proc.output())![1]!;
  await until(async () => (await fetch(`${proc.url}/readyz`)).status === 200 || spec.neurons.length === 0);
  return {
    ...proc,
    metricsUrl,
    metrics: async () => (await fetch(`${metricsUrl}/metrics`)).text(),
    close: async () => {
      await proc.stop();
      s.cleanup();
    },
  };
}

/** A chat request (max_tokens 2) carrying `requestId`, so the gateway's journal can say where it went. */
export function chatAs(url: string, model: string, requestId: string): Promise<Response> {
  return fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-request-id': requestId },
    body: JSON.stringify({ model, max_tokens: 2, messages: [{ role: 'user', content: 'hi' }] }),
  });
}

/** The node each of the gateway's last requests went to, by request id (GET /admin/requests). */
export async function servedBy(url: string): Promise<Map<string, string | undefined>> {
  const res = await fetch(`${url}/admin/requests`);
  const j = (await res.json()) as { requests: Array<{ request_id: string; node?: string }> };
  return new Map(j.requests.map((r) => [r.request_id, r.node]));
}
