/**
 * What `cortex check` does: load a config exactly as `serve` or `neuron` would (file, environment
 * overrides, the real loaders and validators), then the checks a start would only fail on later —
 * the catalogue, preload sources against models_dir and [downloads], and whether the ports are
 * free. It starts no server and loads no model.
 */
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import {
  ConfigError,
  CortexError,
  loadCortexConfig,
  loadModelsConfig,
  loadNeuronConfig,
  parseHostPort,
  remoteSourceRefusal,
  resolveSource,
} from '@app/core';

export interface CheckProblem {
  file: string;
  path: string;
  message: string;
}

export interface CheckReport {
  app: 'gateway' | 'neuron';
  ok: boolean;
  /** A file could not be read or parsed at all. */
  unreadable: boolean;
  files: string[];
  problems: CheckProblem[];
}

export interface CheckOptions {
  env?: Record<string, string | undefined>;
  /** Off when checking a container's config from another machine (its ports are its own). */
  ports?: boolean;
}

type Env = Record<string, string | undefined>;

class Report {
  readonly files: string[] = [];
  readonly problems: CheckProblem[] = [];
  unreadable = false;

  constructor(readonly app: CheckReport['app']) {}

  add(file: string, path: string, message: string): void {
    this.problems.push({ file, path, message });
  }

  /** Records a loader's ConfigError (`key.path: message` per issue); rethrows anything else. */
  config(err: unknown): void {
    if (!(err instanceof ConfigError)) throw err;
    this.unreadable ||= err.unreadable;
    for (const issue of err.issues) {
      const cut = issue.indexOf(': ');
      this.add(err.file, cut > 0 ? issue.slice(0, cut) : '', cut > 0 ? issue.slice(cut + 2) : issue);
    }
  }

  done(): CheckReport {
    return {
      app: this.app,
      ok: this.problems.length === 0,
      unreadable: this.unreadable,
      files: this.files,
      problems: this.problems,
    };
  }
}

function portInUse(hostPort: string): Promise<string | null> {
  const { host, port } = parseHostPort(hostPort);
  if (port === 0) return Promise.resolve(null);
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', (err: NodeJS.ErrnoException) =>
      resolve(
        err.code === 'EADDRINUSE'
          ? `port ${port} on ${host} is already in use`
          : `cannot listen on ${hostPort} (${err.code})`,
      ),
    );
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve(null)));
  });
}

async function checkPorts(report: Report, file: string, listens: Array<[string, string]>, on: boolean) {
  if (!on) return;
  for (const [path, hostPort] of listens) {
    const problem = await portInUse(hostPort);
    if (problem) report.add(file, path, problem);
  }
}

export async function checkGateway(file: string, opts: CheckOptions = {}): Promise<CheckReport> {
  const report = new Report('gateway');
  report.files.push(file);
  let cfg;
  try {
    cfg = loadCortexConfig(file, (opts.env ?? process.env) as Env);
  } catch (err) {
    report.config(err);
    return report.done();
  }
  if (cfg.models_config) {
    report.files.push(cfg.models_config);
    try {
      loadModelsConfig(cfg.models_config);
    } catch (err) {
      report.config(err);
    }
  }
  const listens: Array<[string, string]> = [
    ['gateway.listen', cfg.gateway.listen],
    ['gateway.metrics_listen', cfg.gateway.metrics_listen],
  ];
  await checkPorts(report, file, listens, opts.ports !== false);
  return report.done();
}

export async function checkNeuron(file: string | undefined, opts: CheckOptions = {}): Promise<CheckReport> {
  const report = new Report('neuron');
  const label = file ?? 'neuron.toml (defaults)';
  report.files.push(label);
  let cfg;
  try {
    cfg = loadNeuronConfig(file, (opts.env ?? process.env) as Env);
  } catch (err) {
    report.config(err);
    return report.done();
  }
  if (!existsSync(cfg.models_dir) && cfg.preload.length) {
    report.add(label, 'models_dir', `${cfg.models_dir} does not exist (preload needs its files)`);
  } else {
    cfg.preload.forEach((p, i) => {
      try {
        const src = resolveSource(p.source, cfg.models_dir);
        const refusal = src.kind === 'remote' ? remoteSourceRefusal(src.uri, cfg.downloads) : null;
        if (refusal) throw refusal;
      } catch (err) {
        if (!(err instanceof CortexError)) throw err;
        report.add(label, `preload[${i}].source`, err.message.replace(/^source: /, ''));
      }
    });
  }
  await checkPorts(report, label, [['listen', cfg.listen]], opts.ports !== false);
  return report.done();
}

export function formatReport(r: CheckReport): string {
  const head = `cortex check ${r.app}: ${r.files.join(', ')}`;
  if (r.ok) return `${head}: OK\n`;
  const lines = r.problems.map((p) => `  ${p.file}: ${p.path ? `${p.path}: ` : ''}${p.message}`);
  return `${head}\n${lines.join('\n')}\n${r.problems.length} problem(s)\n`;
}

/** 0 valid, 1 invalid, 2 unreadable. */
export function exitCodeOf(r: CheckReport): number {
  return r.ok ? 0 : r.unreadable ? 2 : 1;
}
