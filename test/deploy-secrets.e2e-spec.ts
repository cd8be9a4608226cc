import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { CortexConfig, NeuronConfig, parseToml } from '@app/core';

// The deploy files after the safe defaults: each config the containers would see loads (with the
// secrets supplied only through the environment), no secret is a literal, and grace periods cover
// the drains.

const root = resolve(__dirname, '..');
const read = (p: string) => readFileSync(resolve(root, p), 'utf8');
const envFile = (text: string) =>
  Object.fromEntries(
    text
      .split('\n')
      .filter((l) => /^[A-Z0-9_]+=/.test(l))
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );

describe('deploy files', () => {
  it('compose: the gateway and neuron configs load with cortex.env.example, and fail without it', () => {
    const env = envFile(read('docker/cortex.env.example'));
    const compose = YAML.parse(read('docker/compose.yaml')) as {
      services: Record<
        string,
        { environment?: Record<string, string>; stop_grace_period?: string; env_file?: string[] }
      >;
    };
    const gw = parseToml(read('docker/cortex.toml'), CortexConfig, 'cortex.toml', { envPrefix: 'CORTEX_', env });
    expect(gw.auth.keys.every((k) => k.key.length > 0)).toBe(true);
    expect(gw.neurons[0]!.token).toBe(env.NEURON_TOKEN);
    expect(() =>
      parseToml(read('docker/cortex.toml'), CortexConfig, 'cortex.toml', { envPrefix: 'CORTEX_', env: {} }),
    ).toThrow(/auth\.keys\[0\]\.key/);
    for (const name of ['neuron', 'neuron-gpu']) {
      const svc = compose.services[name]!;
      expect(svc.env_file).toContain('cortex.env');
      const n = parseToml('', NeuronConfig, 'neuron.toml', {
        envPrefix: 'NEURON_',
        env: { ...svc.environment, ...env },
      });
      expect(n.token).toBe(env.NEURON_TOKEN);
      expect(parseInt(svc.stop_grace_period!, 10)).toBeGreaterThan(n.drain_timeout_s);
    }
    expect(parseInt(compose.services.gateway!.stop_grace_period!, 10)).toBeGreaterThan(gw.gateway.drain_timeout_s);
  });

  it('k8s: secrets come from secretKeyRef, the configs load with them, grace covers preStop + drain', () => {
    const docs = YAML.parseAllDocuments(read('deploy/k8s/cortex.yaml')).map((d) => d.toJSON() as { kind: string });
    const text = read('deploy/k8s/cortex.yaml');
    expect(text).not.toMatch(/kind:\s*Secret\b/);
    const cm = docs.find((d) => (d as { kind: string }).kind === 'ConfigMap') as unknown as {
      data: Record<string, string>;
    };
    type Pod = {
      spec: {
        template: {
          spec: {
            terminationGracePeriodSeconds: number;
            containers: Array<{ env: Array<{ name: string; value?: string; valueFrom?: { secretKeyRef?: unknown } }> }>;
          };
        };
      };
    };
    const workload = (kind: string) => docs.find((d) => d.kind === kind) as unknown as Pod;
    for (const [kind, prefix, secretVars] of [
      ['StatefulSet', 'NEURON_', ['NEURON_TOKEN']],
      [
        'Deployment',
        'CORTEX_',
        ['CORTEX_AUTH__KEYS__0__KEY', 'CORTEX_NEURONS__0__TOKEN', 'CORTEX_GATEWAY__METRICS_TOKEN'],
      ],
    ] as const) {
      const spec = workload(kind).spec.template.spec;
      const env = spec.containers[0]!.env;
      for (const v of secretVars) expect(env.find((e) => e.name === v)?.valueFrom?.secretKeyRef, v).toBeDefined();
      const resolved = Object.fromEntries(env.map((e) => [e.name, e.value ?? `secret-of-${e.name}`]));
      const cfg =
        prefix === 'NEURON_'
          ? parseToml('', NeuronConfig, 'neuron.toml', { envPrefix: prefix, env: resolved })
          : parseToml(cm.data['cortex.toml']!, CortexConfig, 'cortex.toml', { envPrefix: prefix, env: resolved });
      const drain = cfg instanceof NeuronConfig ? cfg.drain_timeout_s : (cfg as CortexConfig).gateway.drain_timeout_s;
      expect(spec.terminationGracePeriodSeconds, kind).toBeGreaterThanOrEqual(5 + drain + 5);
    }
  });
});
