import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FileServer, serveFiles } from './helpers/file-server';
import { type NeuronHandle, startNeuron } from './helpers/neuron';
import { CLI, json, model, readSse, scratch, startCortex, until, writeToml } from './helpers/processes';

// The neuron's safe defaults and lifecycle edges on real processes: it will not listen off loopback
// without a token, remote sources are opt-in and bounded (size, host, stall) and run outside the
// device worker, an unload never leaves a ghost, a draining unload admits nothing new, and
// embeddings queue for a seat like generations.

const files = scratch('safety-files');
let hf: FileServer;

beforeAll(async () => {
  const remote = model(files.dir, 'remote.gguf', { seed: 9 });
  const huge = join(files.dir, 'huge.gguf');
  writeFileSync(huge, Buffer.alloc(3 * 1024 * 1024, 7));
  // …/huge.gguf is 3 MB; …/remote.gguf sends 4 KB and then stalls.
  hf = await serveFiles((path) => (path.includes('huge') ? { file: huge } : { file: remote, stallAfter: 4096 }));
});
afterAll(async () => {
  await hf?.close();
  files.cleanup();
});

describe('neuron listen address', () => {
  it('refuses to listen off loopback without a token: one line, exit 2', () => {
    const s = scratch('exposed');
    const cfg = writeToml(join(s.dir, 'neuron.toml'), 'listen = "0.0.0.0:0"\ndevices = ["cpu"]\n');
    const r = spawnSync(process.execPath, [CLI, 'neuron', '--config', cfg], { encoding: 'utf8', timeout: 20_000 });
    s.cleanup();
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/listen: "0\.0\.0\.0:0" is reachable from other machines, so it needs a token/);
  });

  it.each(['token = "t0ken"', 'allow_unauthenticated = true'])('listens off loopback with %s', async (line) => {
    const s = scratch('exposed-ok');
    const cfg = writeToml(join(s.dir, 'neuron.toml'), `listen = "0.0.0.0:0"\ndevices = ["cpu"]\n${line}\n`);
    const proc = await startCortex(['neuron', '--config', cfg]);
    const port = new URL(proc.url).port;
    const livez = await fetch(`http://127.0.0.1:${port}/livez`);
    await proc.stop();
    s.cleanup();
    expect(livez.status).toBe(200);
  });
});

describe('neuron remote sources', () => {
  it('are off by default: 403 before any record exists', async () => {
    const n = await startNeuron('devices = ["cpu"]\n');
    try {
      const r = await json(`${n.url}/models/load`, { id: 'r', source: 'https://huggingface.co/org/repo/x.gguf' });
      expect(r).toMatchObject({ status: 403, body: { error: { code: 'remote_sources_disabled', param: 'source' } } });
      expect((await json<{ data: unknown[] }>(`${n.url}/models`)).body.data).toEqual([]);
    } finally {
      await n.close();
    }
  });

  describe('when enabled', () => {
    let n: NeuronHandle;
    beforeAll(async () => {
      n = await startNeuron(
        'devices = ["cpu"]\n[downloads]\nenabled = true\nallowed_hosts = ["127.0.0.1"]\nmax_size_mb = 1\nstall_timeout_s = 3\n',
        { models: ['tiny.gguf'], env: { HF_ENDPOINT: `${hf.url}/` } },
      );
      expect((await json(`${n.url}/models/load`, { id: 'tiny', source: 'tiny.gguf', context_size: 2048 })).status).toBe(
        200,
      );
    });
    afterAll(() => n?.close());

    it('refuses a host not in allowed_hosts', async () => {
      const r = await json(`${n.url}/models/load`, { id: 'x', source: 'https://example.com/m.gguf' });
      expect(r).toMatchObject({ status: 403, body: { error: { code: 'source_host_not_allowed' } } });
    });

    it('refuses a file over max_size_mb and leaves nothing behind', async () => {
      const r = await json(`${n.url}/models/load`, { id: 'huge', source: 'hf:org/repo/huge.gguf' });
      expect(r).toMatchObject({ status: 400, body: { error: { code: 'source_too_large', param: 'source' } } });
      expect(existsSync(join(n.modelsDir, 'huge.gguf'))).toBe(false);
      expect(readdirSync(join(n.modelsDir, '.part'))).toEqual([]);
    });

    it('a stalled download holds up nothing: the device serves, unload is 409 until forced, force cancels it', async () => {
      const start = await json(`${n.url}/models/load`, { id: 'slow', source: 'hf:org/repo/remote.gguf', wait: false });
      expect(start.status).toBe(202);
      await n.waitStatus('slow', 'loading');
      const served = await json(`${n.url}/v1/chat/completions`, {
        model: 'tiny',
        max_tokens: 8,
        messages: [{ role: 'user', content: 'x' }],
      });
      expect(served.status).toBe(200);
      expect(await json(`${n.url}/models/unload`, { id: 'slow' })).toMatchObject({
        status: 409,
        body: { error: { code: 'load_in_progress' } },
      });
      expect(await json(`${n.url}/models/unload`, { id: 'slow', force: true })).toMatchObject({
        status: 200,
        body: { id: 'slow', status: 'cancelled' },
      });
      const ids = async () =>
        (await json<{ data: Array<{ id: string }> }>(`${n.url}/models`)).body.data.map((m) => m.id);
      expect(await ids()).not.toContain('slow');
      await until(async () => readdirSync(join(n.modelsDir, '.part')).length === 0, 5000);
      // no ghost: it never turns up later either
      await new Promise((r) => setTimeout(r, 1000));
      expect(await ids()).not.toContain('slow');
      expect(existsSync(join(n.modelsDir, 'remote.gguf'))).toBe(false);
    });

    it('a download that receives nothing for stall_timeout_s fails the load (502), leaving no file', async () => {
      const t0 = Date.now();
      const r = await json(`${n.url}/models/load`, { id: 'stuck', source: 'hf:org/repo/remote.gguf' });
      expect(r).toMatchObject({ status: 502, body: { error: { code: 'download_failed' } } });
      expect(JSON.stringify(r.body)).toMatch(/received nothing for 3 s/);
      expect(Date.now() - t0).toBeGreaterThanOrEqual(2500);
      expect(existsSync(join(n.modelsDir, 'remote.gguf'))).toBe(false);
      expect(readdirSync(join(n.modelsDir, '.part'))).toEqual([]);
    });
  });
});

describe('neuron unload and admission', () => {
  let n: NeuronHandle;
  const longStream = (maxTokens = 1500) =>
    fetch(`${n.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        model: 'tiny',
        stream: true,
        max_tokens: maxTokens,
        messages: [{ role: 'user', content: 'go' }],
      }),
    });
  const status = async () =>
    (
      await json<{ data: Array<{ id: string; status: string; queue_depth: number }> }>(`${n.url}/models`)
    ).body.data.find((m) => m.id === 'tiny');

  beforeAll(async () => {
    n = await startNeuron('devices = ["cpu"]\ndrain_timeout_s = 60\n[admission]\nmax_in_flight = 1\n', {
      models: ['tiny.gguf'],
    });
  });
  afterAll(() => n?.close());

  /** Starts a long stream and waits until it holds the only seat (wrapped: an async function would await the reading). */
  const busySeat = async (maxTokens?: number) => {
    const reading = longStream(maxTokens).then((r) => readSse(r));
    await until(
      async () =>
        (await json<{ models: Array<{ in_flight: number }> }>(`${n.url}/health`)).body.models[0]?.in_flight === 1,
      5000,
      10,
    );
    return { reading };
  };

  const load = async () =>
    expect((await json(`${n.url}/models/load`, { id: 'tiny', source: 'tiny.gguf', context_size: 8192 })).status).toBe(
      200,
    );

  it('a draining unload admits nothing new, lets the running stream finish, then unloads', async () => {
    await load();
    const reading = longStream().then((r) => readSse(r));
    await until(async () => (await status())?.status === 'loaded' && (await status()) !== undefined, 5000, 20);
    await until(
      async () =>
        (await json<{ models: Array<{ in_flight: number }> }>(`${n.url}/health`)).body.models[0]?.in_flight === 1,
      5000,
      10,
    );
    const unloading = json(`${n.url}/models/unload`, { id: 'tiny', drain: true });
    await until(async () => (await status())?.status === 'unloading', 5000, 10);
    const refused = await json(`${n.url}/v1/chat/completions`, {
      model: 'tiny',
      messages: [{ role: 'user', content: 'x' }],
    });
    expect(refused).toMatchObject({ status: 503, body: { error: { code: 'model_unloading' } } });
    expect(refused.headers.get('retry-after')).toBe('2');
    const counted = await json(`${n.url}/v1/tokenize`, { model: 'tiny', text: 'x' });
    expect(counted).toMatchObject({ status: 503, body: { error: { code: 'model_unloading' } } });
    const { data } = await reading;
    expect(data.at(-1)).toBe('[DONE]');
    expect(await unloading).toMatchObject({ status: 200, body: { id: 'tiny', status: 'unloaded' } });
    expect(await status()).toBeUndefined();
  });

  it('a stream queued behind a busy seat gets its headers at once and keep-alive pings, then its tokens', async () => {
    await load();
    // The seat stays busy for seconds, well past the 1 s ping interval, however fast the machine is.
    const { reading } = await busySeat(5000);
    const queued = await longStream(); // resolves on its headers, while it still waits for the seat
    expect(queued.status).toBe(200);
    expect((await status())?.queue_depth).toBe(1);
    const [first, second] = await Promise.all([reading, readSse(queued)]);
    expect(first.data.at(-1)).toBe('[DONE]');
    expect(second.comments).toBeGreaterThanOrEqual(1); // pinged while it waited
    expect(second.data.at(-1)).toBe('[DONE]');
  });

  it('embeddings wait for a seat like generations (they compute on the device)', async () => {
    await load();
    const { reading } = await busySeat();
    const embedded = json<{ data: unknown[] }>(`${n.url}/v1/embeddings`, { model: 'tiny', input: 'hello' });
    await until(async () => (await status())?.queue_depth === 1, 5000, 10);
    await reading;
    const r = await embedded;
    expect(r.status).toBe(200);
    expect(r.body.data).toHaveLength(1);
  });
});
