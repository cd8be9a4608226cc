import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { loadCortexConfig, loadNeuronConfig, parseHostPort } from '@app/core';
import {
  type Container,
  ROOT,
  composeContainers,
  dockerfile,
  k8sContainers,
  k8sDocs,
  materialise,
  read,
} from './helpers/manifests';
import { CLI, type Proc, startCortex, until } from './helpers/processes';

// docker/ and deploy/ proven against the code, since no Docker engine or cluster runs here: each
// cortex container's command, configuration (env, env files, Secrets, ConfigMaps, volumes), probes,
// scrape targets, secrets and grace periods, checked with the real CLI and real running apps.

const containers: Container[] = [...composeContainers(), ...k8sContainers()];
const scratch: string[] = [];
const procs: Proc[] = [];
afterAll(async () => {
  await Promise.all(procs.map((p) => p.stop()));
  for (const d of scratch) rmSync(d, { recursive: true, force: true });
});

function yamlFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? yamlFiles(p) : /\.ya?ml$/.test(f) ? [p] : [];
  });
}

function subcommands(): string[] {
  const help = spawnSync(process.execPath, [CLI, '--help'], { encoding: 'utf8' }).stdout;
  return [...help.split('Commands:')[1]!.matchAll(/^ {2}([a-z-]+)/gm)].map((m) => m[1]!);
}

function configOf(c: Container, m: ReturnType<typeof materialise>) {
  const i = m.args.indexOf('--config');
  const file = i >= 0 ? m.args[i + 1] : undefined;
  return c.app === 'gateway' ? loadCortexConfig(file!, m.env) : loadNeuronConfig(file, m.env);
}

function check(c: Container, m: ReturnType<typeof materialise>) {
  const i = m.args.indexOf('--config');
  const config = i >= 0 ? ['--config', m.args[i + 1]!] : [];
  return spawnSync(process.execPath, [CLI, 'check', c.app, ...config, '--no-port-check', '--json'], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH, ...m.env },
  });
}

describe('deploy manifests', () => {
  it('every YAML file parses (compose, k8s, Prometheus, Grafana provisioning), and so do the dashboards', () => {
    const files = [resolve(ROOT, 'docker/compose.yaml'), ...yamlFiles(resolve(ROOT, 'deploy'))];
    expect(files.length).toBeGreaterThanOrEqual(5);
    for (const f of files) {
      for (const doc of YAML.parseAllDocuments(read(f))) expect(doc.errors, f).toEqual([]);
    }
    for (const f of readdirSync(resolve(ROOT, 'deploy/grafana/dashboards'))) {
      expect(() => JSON.parse(read(`deploy/grafana/dashboards/${f}`)), f).not.toThrow();
    }
  });

  it('finds every cortex container: gateway and neuron in compose (CPU and GPU) and in k8s', () => {
    expect(containers.map((c) => `${c.where} (${c.app})`).sort()).toEqual([
      'compose gateway (gateway)',
      'compose neuron (neuron)',
      'compose neuron-gpu (neuron)',
      'k8s Deployment cortex-gateway (gateway)',
      'k8s StatefulSet neuron (neuron)',
    ]);
  });

  it.each(containers.map((c) => [c.where, c]))('%s: runs a real cortex subcommand', (_w, c) => {
    expect(subcommands()).toContain(c.args[0]);
    expect(c.args[0]).toBe(c.app === 'gateway' ? 'serve' : 'neuron');
  });

  it.each(containers.map((c) => [c.where, c]))('%s: its configuration passes `cortex check`', (_w, c) => {
    const m = materialise(c);
    scratch.push(m.root);
    const r = check(c, m);
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ app: c.app, ok: true, problems: [] });
  });

  it.each(containers.map((c) => [c.where, c]))('%s: secrets come only from Secrets or env files', (_w, c) => {
    for (const [name] of Object.entries(c.env).filter(([n]) => /TOKEN|KEY|SECRET|PASSWORD/.test(n))) {
      expect(c.secretEnv, `${c.where}: ${name} is a literal`).toContain(name);
    }
    for (const [path, content] of Object.entries(c.mounts)) {
      if (content) expect(content, `${c.where}: ${path}`).not.toMatch(/^\s*(key|token|metrics_token)\s*=/m);
    }
  });

  it.each(containers.map((c) => [c.where, c]))('%s: its grace period covers its drain', (_w, c) => {
    const m = materialise(c);
    scratch.push(m.root);
    const cfg = configOf(c, m);
    const drain = 'gateway' in cfg ? cfg.gateway.drain_timeout_s : cfg.drain_timeout_s;
    const preStop = c.where.startsWith('k8s') ? 5 : 0;
    expect(c.graceS).toBeGreaterThanOrEqual(preStop + drain + 5);
  });

  it('no Secret object or key literal in the manifests', () => {
    expect(read('deploy/k8s/cortex.yaml')).not.toMatch(/^kind:\s*Secret\b/m);
    const cm = k8sDocs().find((d) => d.kind === 'ConfigMap')!;
    for (const text of Object.values(cm.data!)) expect(text).not.toMatch(/^\s*(key|token)\s*=/m);
  });

  it('every Dockerfile COPY source, built output and entrypoint exists after the build', () => {
    for (const app of ['gateway', 'neuron'] as const) {
      const df = dockerfile(app);
      for (const m of df.text.matchAll(/^COPY (?!--from)(.+) (\S+)$/gm)) {
        for (const src of m[1]!.split(/\s+/)) expect(existsSync(resolve(ROOT, src)), `${app}: COPY ${src}`).toBe(true);
      }
      for (const m of df.text.matchAll(/^COPY --from=build \/app\/(\S+) /gm)) {
        expect(existsSync(resolve(ROOT, m[1]!)), `${app}: COPY --from=build /app/${m[1]}`).toBe(true);
      }
      expect(df.entrypoint[0]).toBe('node');
      expect(existsSync(resolve(ROOT, df.entrypoint[1]!)), `${app}: ENTRYPOINT`).toBe(true);
    }
  });

  describe.each([
    ['compose', 'compose gateway', 'compose neuron'],
    ['k8s', 'k8s Deployment cortex-gateway', 'k8s StatefulSet neuron'],
  ])('%s, started as configured', (_stack, gatewayWhere, neuronWhere) => {
    const gwC = containers.find((c) => c.where === gatewayWhere)!;
    const nC = containers.find((c) => c.where === neuronWhere)!;
    let gateway: Proc;
    let neuron: Proc;
    let gwM: ReturnType<typeof materialise>;

    it('every probe port is the app’s listen port, and every probe path answers 200', async () => {
      const nM = materialise(nC);
      gwM = materialise(gwC);
      scratch.push(nM.root, gwM.root);
      neuron = await startCortex([...nM.args, '--port', '0'], nM.env);
      procs.push(neuron);
      const cfgN = configOf(nC, nM) as ReturnType<typeof loadNeuronConfig>;
      const cfgG = configOf(gwC, gwM) as ReturnType<typeof loadCortexConfig>;
      // The neurons' DNS names resolve only inside the cluster: point them at the neuron started here.
      const endpoints = Object.fromEntries(cfgG.neurons.map((_n, i) => [`CORTEX_NEURONS__${i}__ENDPOINT`, neuron.url]));
      gateway = await startCortex([...gwM.args, '--port', '0', '--metrics-port', '0'], { ...gwM.env, ...endpoints });
      procs.push(gateway);
      for (const [c, cfg, proc] of [
        [nC, parseHostPort(cfgN.listen).port, neuron],
        [gwC, parseHostPort(cfgG.gateway.listen).port, gateway],
      ] as const) {
        expect(c.probes.length, c.where).toBeGreaterThan(0);
        for (const p of c.probes) {
          expect(p.port, p.source).toBe(cfg);
          await until(async () => (await fetch(`${proc.url}${p.path}`)).status === 200, 20_000, 100).catch(() => {
            throw new Error(`${p.source}: ${p.path} did not answer 200`);
          });
        }
      }
    });

    it('every Prometheus scrape target is a metrics endpoint of that service', async () => {
      if (_stack !== 'compose') return; // k8s leaves scraping to the cluster's Prometheus
      const prom = YAML.parse(read('deploy/prometheus/prometheus.yml')) as {
        scrape_configs: Array<{
          metrics_path?: string;
          static_configs?: Array<{ targets: string[] }>;
          http_sd_configs?: Array<{ url: string }>;
        }>;
      };
      const targets = prom.scrape_configs.flatMap((s) =>
        (s.static_configs ?? []).flatMap((sc) =>
          sc.targets.map((t) => ({ t, path: s.metrics_path ?? '/metrics', want: 'cortex_neuron_up' })),
        ),
      );
      // Neurons are discovered (and scraped) through the gateway's metrics port.
      const discovered = prom.scrape_configs.flatMap((s) =>
        (s.http_sd_configs ?? []).map((sd) => {
          const u = new URL(sd.url);
          return { t: u.host, path: u.pathname, want: '__metrics_path__' };
        }),
      );
      expect(targets.length).toBeGreaterThan(0);
      expect(discovered.length).toBeGreaterThan(0);
      const cfgG = configOf(gwC, gwM) as ReturnType<typeof loadCortexConfig>;
      for (const { t, path, want } of [...targets, ...discovered]) {
        const [host, port] = t.split(':');
        expect(host, `${t}: only the gateway's metrics port is scraped`).toBe('gateway');
        expect(Number(port)).toBe(parseHostPort(cfgG.gateway.metrics_listen).port);
        const metricsUrl = /metrics (http:\/\/\S+?)\/metrics/.exec(gateway.output())![1]!;
        const res = await fetch(`${metricsUrl}${path}`);
        expect(res.status, `${t}${path}`).toBe(200);
        expect(await res.text()).toContain(want);
      }
    });
  });
});
