/** A neuron process for e2e specs: generated tiny models in its models_dir, config from overrides. */
import { join } from 'node:path';
import { json, model, type Proc, scratch, startCortex, until, writeToml } from './processes';

export interface NeuronHandle extends Proc {
  dir: string;
  modelsDir: string;
  /** Waits until GET /models shows `id` with `status`. */
  waitStatus(id: string, status: string, timeoutMs?: number): Promise<Record<string, unknown>>;
  /** Waits until GET /models shows `id` with `n` requests in flight (a generation has begun). */
  waitInFlight(id: string, n: number, timeoutMs?: number): Promise<Record<string, unknown>>;
  health(): Promise<{ devices: Array<Record<string, unknown>>; models: Array<Record<string, unknown>> }>;
  close(): Promise<void>;
}

export async function startNeuron(
  toml: string,
  opts: { models?: string[]; env?: Record<string, string>; token?: string } = {},
): Promise<NeuronHandle> {
  const s = scratch('neuron');
  const modelsDir = join(s.dir, 'models');
  for (const name of opts.models ?? ['tiny.gguf']) model(modelsDir, name, { context: 8192 });
  const token = opts.token ? `token = "${opts.token}"\n` : '';
  const auth: Record<string, string> = opts.token ? { authorization: `Bearer ${opts.token}` } : {};
  const config = writeToml(
    join(s.dir, 'neuron.toml'),
    `listen = "127.0.0.1:0"\nname = "test"\nthreads = 1\n${token}${toml}`,
  );
  const proc = await startCortex(['neuron', '--config', config], opts.env);
  /** The first model of GET /models that `match` accepts, once one does. */
  const waitModel = (match: (m: Record<string, unknown>) => boolean, timeoutMs: number) =>
    until(async () => {
      const { body } = await json<{ data: Array<Record<string, unknown>> }>(`${proc.url}/models`, undefined, auth);
      return body.data.find(match);
    }, timeoutMs);
  const handle: NeuronHandle = {
    ...proc,
    dir: s.dir,
    modelsDir,
    waitStatus: (id, status, timeoutMs = 20_000) => waitModel((m) => m.id === id && m.status === status, timeoutMs),
    waitInFlight: (id, n, timeoutMs = 20_000) => waitModel((m) => m.id === id && m.in_flight === n, timeoutMs),
    health: async () => (await json(`${proc.url}/health`, undefined, auth)).body as never,
    close: async () => {
      await proc.stop();
      s.cleanup();
    },
  };
  return handle;
}
