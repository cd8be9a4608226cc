/**
 * Many fake neurons in one process, for load tests and benchmarks that need a fleet without its
 * CPU cost landing in the gateway's process: `node dist/test/fakes/fake-fleet.js '<FleetSpec JSON>'`
 * prints one line `{"urls":[...]}` once all listen, and exits when its stdin closes or on SIGTERM.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { type FakeNeuron, type FakeNeuronOptions, startFakeNeuron } from './fake-neuron';

export interface FleetSpec {
  neurons: number;
  /** Options every neuron shares (its name and models are set per neuron). */
  options?: Omit<FakeNeuronOptions, 'name' | 'models'>;
  /** Model ids the fleet draws from; neuron i holds `modelsPerNeuron` of them, starting at i × stride. */
  catalogue?: string[];
  modelsPerNeuron?: number;
}

/** The models neuron `i` holds: a window of the catalogue that slides with i, so replicas overlap. */
export function modelsOf(spec: FleetSpec, i: number): string[] {
  const cat = spec.catalogue ?? ['chat'];
  const k = Math.min(spec.modelsPerNeuron ?? cat.length, cat.length);
  return Array.from({ length: k }, (_, j) => cat[(i * 7 + j) % cat.length]!);
}

export async function startFakeFleet(spec: FleetSpec): Promise<FakeNeuron[]> {
  const out: FakeNeuron[] = [];
  for (let i = 0; i < spec.neurons; i++)
    out.push(
      await startFakeNeuron({ ...spec.options, name: `n${String(i).padStart(3, '0')}`, models: modelsOf(spec, i) }),
    );
  return out;
}

export interface FleetProcess {
  urls: string[];
  child: ChildProcess;
  stop(): Promise<void>;
}

/** Runs `spec` in a child process (this file, built: benchmarks run from dist, specs from source). */
export function spawnFakeFleet(spec: FleetSpec): Promise<FleetProcess> {
  const script = __filename.endsWith('.js') ? __filename : resolve(__dirname, '../../dist/test/fakes/fake-fleet.js');
  const child = spawn(process.execPath, [script, JSON.stringify(spec)], { stdio: ['pipe', 'pipe', 'inherit'] });
  let out = '';
  return new Promise((done, fail) => {
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (!out.includes('\n')) return;
      done({
        urls: (JSON.parse(out.split('\n')[0]!) as { urls: string[] }).urls,
        child,
        stop: () =>
          new Promise<void>((r) => {
            if (child.exitCode !== null) return r();
            child.on('exit', () => r());
            child.stdin!.end();
          }),
      });
    });
    child.on('exit', (code) => fail(new Error(`fake fleet exited ${code}`)));
  });
}

if (require.main === module) {
  void (async () => {
    const fleet = await startFakeFleet(JSON.parse(process.argv[2] ?? '{"neurons":1}') as FleetSpec);
    process.stdout.write(`${JSON.stringify({ urls: fleet.map((n) => n.url) })}\n`);
    const stop = () => void Promise.all(fleet.map((n) => n.close())).then(() => process.exit(0));
    process.stdin.on('end', stop).on('close', stop).resume();
    process.on('SIGTERM', stop);
  })();
}
