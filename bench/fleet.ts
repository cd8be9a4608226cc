/**
 * Starts fake neurons (test/fakes) in a child process, so their CPU cost is not the benchmark's or
 * the gateway's, and writes gateway configs that point at them.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FleetSpec } from '../test/fakes/fake-fleet';

export interface FleetProcess {
  urls: string[];
  child: ChildProcess;
  stop(): Promise<void>;
}

export function startFleet(spec: FleetSpec): Promise<FleetProcess> {
  const script = join(__dirname, '..', 'test', 'fakes', 'fake-fleet.js');
  const child = spawn(process.execPath, [script, JSON.stringify(spec)], { stdio: ['pipe', 'pipe', 'inherit'] });
  let out = '';
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (line && out.includes('\n'))
        resolve({
          urls: (JSON.parse(line) as { urls: string[] }).urls,
          child,
          stop: () =>
            new Promise<void>((r) => {
              if (child.exitCode !== null) return r();
              child.on('exit', () => r());
              child.stdin!.end();
            }),
        });
    });
    child.on('exit', (code) => reject(new Error(`fake fleet exited ${code}`)));
  });
}

/** cortex.toml + models.toml in `dir` for a gateway over `urls`; returns the cortex.toml path. */
export function writeGatewayConfig(dir: string, urls: string[], models: string[], extra = '', modelMb = 10): string {
  writeFileSync(
    join(dir, 'models.toml'),
    models.map((id) => `[[models]]\nid = "${id}"\nsource = "${id}.gguf"\nvram_mb = ${modelMb}\n`).join('\n'),
  );
  const neurons = urls.map((u, i) => `[[neurons]]\nname = "n${String(i).padStart(3, '0')}"\nendpoint = "${u}"\n`);
  const file = join(dir, 'cortex.toml');
  writeFileSync(
    file,
    `models_config = "models.toml"\n[gateway]\nlisten = "127.0.0.1:0"\nmetrics_listen = "127.0.0.1:0"\n${extra}\n${neurons.join('\n')}`,
  );
  return file;
}
