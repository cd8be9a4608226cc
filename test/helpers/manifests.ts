/**
 * Reads the deploy files the way Docker and Kubernetes would run them: every cortex container with
 * its arguments (command, or the Dockerfile's CMD), environment (values, env files, Secrets as
 * placeholders), mounted files (bind mounts, ConfigMaps) and probes, so tests can check and start
 * exactly that configuration on this machine.
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import YAML from 'yaml';

export const ROOT = resolve(__dirname, '../..');
export const read = (p: string) => readFileSync(resolve(ROOT, p), 'utf8');

export interface Probe {
  source: string;
  path: string;
  port: number;
}

export interface Container {
  where: string;
  app: 'gateway' | 'neuron';
  args: string[];
  env: Record<string, string>;
  /** container path → file content (null: a directory, such as a model volume) */
  mounts: Record<string, string | null>;
  probes: Probe[];
  /** Environment variables whose value comes from a Secret or an env file. */
  secretEnv: string[];
  graceS: number;
}

export function dockerfile(app: 'gateway' | 'neuron') {
  const text = read(`docker/${app}.Dockerfile`);
  const json = (line: string | undefined) => (line ? (JSON.parse(line) as string[]) : []);
  const health = /HEALTHCHECK .*fetch\('http:\/\/127\.0\.0\.1:(\d+)(\/[^']*)'\)/.exec(text);
  return {
    text,
    entrypoint: json(/^ENTRYPOINT (\[.*\])$/m.exec(text)?.[1]),
    cmd: json(/^CMD (\[.*\])$/m.exec(text)?.[1]),
    health: health
      ? { source: `docker/${app}.Dockerfile HEALTHCHECK`, port: Number(health[1]), path: health[2]! }
      : null,
  };
}

function envFile(path: string): Record<string, string> {
  return Object.fromEntries(
    read(path)
      .split('\n')
      .filter((l) => /^[A-Z0-9_]+=/.test(l))
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );
}

const seconds = (v: string | undefined) => (v ? parseInt(v, 10) : 10);

type ComposeService = {
  build?: { dockerfile: string };
  command?: string[];
  environment?: Record<string, string>;
  env_file?: string[];
  volumes?: string[];
  healthcheck?: { test: string[] };
  stop_grace_period?: string;
};

export function composeContainers(): Container[] {
  const compose = YAML.parse(read('docker/compose.yaml')) as { services: Record<string, ComposeService> };
  return Object.entries(compose.services).flatMap(([name, svc]) => {
    const app = /docker\/(gateway|neuron)\.Dockerfile/.exec(svc.build?.dockerfile ?? '')?.[1] as
      Container['app'] | undefined;
    if (!app) return [];
    const files = (svc.env_file ?? []).map((f) => (f === 'cortex.env' ? 'docker/cortex.env.example' : `docker/${f}`));
    const fromFiles = Object.assign({}, ...files.map(envFile)) as Record<string, string>;
    const mounts: Container['mounts'] = {};
    for (const v of svc.volumes ?? []) {
      const [host, target] = v.split(':') as [string, string];
      const local = resolve(ROOT, 'docker', host);
      mounts[target] = /\.(toml|ya?ml)$/.test(host) ? readFileSync(local, 'utf8') : null;
    }
    const hc = /fetch\('http:\/\/127\.0\.0\.1:(\d+)(\/[^']*)'\)/.exec(svc.healthcheck?.test.join(' ') ?? '');
    const df = dockerfile(app);
    const probes = [
      ...(hc ? [{ source: `compose ${name} healthcheck`, port: Number(hc[1]), path: hc[2]! }] : []),
      ...(df.health ? [df.health] : []),
    ];
    return [
      {
        where: `compose ${name}`,
        app,
        args: svc.command ?? df.cmd,
        env: { ...fromFiles, ...(svc.environment ?? {}) },
        mounts,
        probes,
        secretEnv: Object.keys(fromFiles),
        graceS: seconds(svc.stop_grace_period),
      },
    ];
  });
}

type K8sEnv = { name: string; value?: string; valueFrom?: { secretKeyRef?: { key: string }; fieldRef?: unknown } };
type K8sProbe = { httpGet?: { path: string; port: string | number } };
type K8sContainer = {
  image: string;
  args: string[];
  env?: K8sEnv[];
  ports?: Array<{ name: string; containerPort: number }>;
  volumeMounts?: Array<{ name: string; mountPath: string }>;
  livenessProbe?: K8sProbe;
  readinessProbe?: K8sProbe;
  startupProbe?: K8sProbe;
};
type K8sDoc = {
  kind: string;
  metadata: { name: string };
  data?: Record<string, string>;
  spec: {
    template: {
      spec: {
        terminationGracePeriodSeconds?: number;
        containers: K8sContainer[];
        volumes?: Array<{ name: string; configMap?: { name: string } }>;
      };
    };
  };
};

export function k8sDocs(): K8sDoc[] {
  return YAML.parseAllDocuments(read('deploy/k8s/cortex.yaml')).map((d) => d.toJSON() as K8sDoc);
}

export function k8sContainers(): Container[] {
  const docs = k8sDocs();
  const configMaps = new Map(docs.filter((d) => d.kind === 'ConfigMap').map((d) => [d.metadata.name, d.data ?? {}]));
  return docs
    .filter((d) => d.kind === 'Deployment' || d.kind === 'StatefulSet')
    .flatMap((d) =>
      d.spec.template.spec.containers.map((c): Container => {
        const app = c.image.includes('gateway') ? 'gateway' : 'neuron';
        const env: Record<string, string> = {};
        const secretEnv: string[] = [];
        for (const e of c.env ?? []) {
          if (e.valueFrom?.secretKeyRef) {
            env[e.name] = `secret-${e.valueFrom.secretKeyRef.key}`;
            secretEnv.push(e.name);
          } else if (e.valueFrom?.fieldRef) env[e.name] = `${d.metadata.name}-0`;
          else env[e.name] = e.value ?? '';
        }
        const mounts: Container['mounts'] = {};
        for (const m of c.volumeMounts ?? []) {
          const vol = d.spec.template.spec.volumes?.find((v) => v.name === m.name);
          const data = vol?.configMap ? configMaps.get(vol.configMap.name) : undefined;
          if (data) for (const [k, v] of Object.entries(data)) mounts[`${m.mountPath}/${k}`] = v;
          else mounts[m.mountPath] = null;
        }
        const portOf = (p: string | number) =>
          typeof p === 'number' ? p : (c.ports?.find((x) => x.name === p)?.containerPort ?? NaN);
        const probes = (['livenessProbe', 'readinessProbe', 'startupProbe'] as const).flatMap((k) =>
          c[k]?.httpGet
            ? [{ source: `k8s ${d.metadata.name} ${k}`, path: c[k]!.httpGet!.path, port: portOf(c[k]!.httpGet!.port) }]
            : [],
        );
        return {
          where: `k8s ${d.kind} ${d.metadata.name}`,
          app,
          args: c.args,
          env,
          mounts,
          probes,
          secretEnv,
          graceS: d.spec.template.spec.terminationGracePeriodSeconds ?? 30,
        };
      }),
    );
}

/**
 * Lays a container's mounts out under a scratch root and rewrites its arguments and environment to
 * point there, so the real CLI on this machine sees what the container would.
 */
export function materialise(c: Container): { args: string[]; env: Record<string, string>; root: string } {
  const root = mkdtempSync(join(tmpdir(), 'cortex-manifest-'));
  const local = (p: string) => join(root, p);
  for (const [target, content] of Object.entries(c.mounts)) {
    if (content === null) mkdirSync(local(target), { recursive: true });
    else {
      mkdirSync(dirname(local(target)), { recursive: true });
      writeFileSync(local(target), content);
    }
  }
  const mounted = (v: string) =>
    Object.keys(c.mounts).some((m) => v === m || v.startsWith(`${m}/`) || m.startsWith(`${v}/`));
  const rewrite = (v: string) => (v.startsWith('/') && mounted(v) ? local(v) : v);
  return {
    root,
    args: c.args.map(rewrite),
    env: Object.fromEntries(Object.entries(c.env).map(([k, v]) => [k, rewrite(v)])),
  };
}
