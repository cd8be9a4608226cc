import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveFile } from './helpers/file-server';
import { type NeuronHandle, startNeuron } from './helpers/neuron';
import { json, model, readSse, scratch } from './helpers/processes';

// Model lifecycle on a real neuron process: load (single-flight, from models_dir or downloaded),
// stream, unload, path traversal, admin token.

describe('neuron model lifecycle', () => {
  let neuron: NeuronHandle;
  const admin = { authorization: 'Bearer s3cret' };
  const files = scratch('dl');
  let hf: Awaited<ReturnType<typeof serveFile>>;
  let https: Awaited<ReturnType<typeof serveFile>>;

  beforeAll(async () => {
    const source = model(files.dir, 'remote.gguf', { seed: 5 });
    const key = join(files.dir, 'key.pem');
    const cert = join(files.dir, 'cert.pem');
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-keyout',
        key,
        '-out',
        cert,
        '-days',
        '1',
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
      ],
      { stdio: 'ignore' },
    );
    // Another loopback address, so node-llama-cpp tells the HF endpoint from the https host.
    hf = await serveFile(source, undefined, '127.0.0.2');
    https = await serveFile(source, { key: readFileSync(key, 'utf8'), cert: readFileSync(cert, 'utf8') });
    neuron = await startNeuron(
      'devices = ["cpu"]\n[admission]\nmax_in_flight = 2\n' +
        '[downloads]\nenabled = true\nallowed_hosts = ["127.0.0.1", "127.0.0.2"]\n',
      {
        token: 's3cret',
        models: ['tiny.gguf', 'other.gguf'],
        env: { HF_ENDPOINT: `${hf.url}/`, NODE_EXTRA_CA_CERTS: cert },
      },
    );
  });
  afterAll(async () => {
    await neuron?.close();
    await hf?.close();
    await https?.close();
    files.cleanup();
  });

  it('loads, streams, and unloads a model', async () => {
    const load = await json(
      `${neuron.url}/models/load`,
      { id: 'tiny', source: 'tiny.gguf', context_size: 2048 },
      admin,
    );
    expect(load.status).toBe(200);
    expect(load.body).toMatchObject({
      id: 'tiny',
      status: 'loaded',
      device: 'cpu',
      context_size: 2048,
      max_in_flight: 2,
      load_progress: 1,
    });
    expect((load.body as { vram_mb: number }).vram_mb).toBeGreaterThan(0);

    const res = await fetch(`${neuron.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...admin },
      body: JSON.stringify({
        model: 'tiny',
        stream: true,
        max_tokens: 12,
        messages: [{ role: 'user', content: 'hi' }],
      }),
    });
    const { data } = await readSse(res);
    expect(data.at(-1)).toBe('[DONE]');
    expect(data.filter((d) => (d as { usage?: unknown }).usage)).toHaveLength(1);

    const models = await json<{ data: Array<{ id: string; last_used_at: string | null }> }>(
      `${neuron.url}/models`,
      undefined,
      admin,
    );
    expect(models.body.data.find((m) => m.id === 'tiny')?.last_used_at).not.toBeNull();

    const unload = await json(`${neuron.url}/models/unload`, { id: 'tiny' }, admin);
    expect(unload).toMatchObject({ status: 200, body: { id: 'tiny', status: 'unloaded' } });
    const gone = await json(
      `${neuron.url}/v1/chat/completions`,
      { model: 'tiny', messages: [{ role: 'user', content: 'x' }] },
      admin,
    );
    expect(gone).toMatchObject({ status: 404, body: { error: { code: 'model_not_found', param: 'model' } } });
  });

  it('single-flights 10 concurrent loads of one id into one load', async () => {
    const before = neuron.output().split('loading other from').length;
    const all = await Promise.all(
      Array.from({ length: 10 }, () => json(`${neuron.url}/models/load`, { id: 'other', source: 'other.gguf' }, admin)),
    );
    expect(all.map((r) => r.status)).toEqual(Array(10).fill(200));
    expect(new Set(all.map((r) => (r.body as { loaded_at: string }).loaded_at)).size).toBe(1);
    expect(neuron.output().split('loading other from').length - before).toBe(1);
  });

  it.each(['../neuron.toml', '/etc/passwd', 'sub/../../x.gguf', 'file:///etc/passwd'])(
    'refuses source %s',
    async (source) => {
      const r = await json(`${neuron.url}/models/load`, { id: 'evil', source }, admin);
      expect(r.status).toBe(400);
      expect(r.body).toMatchObject({ error: { type: 'invalid_request_error', param: 'source' } });
    },
  );

  it('downloads hf: sources through node-llama-cpp’s downloader, with progress', async () => {
    const r = await json(
      `${neuron.url}/models/load`,
      { id: 'from-hf', source: 'hf:cortex/demo/remote-q8_0.gguf', wait: false },
      admin,
    );
    expect(r.status).toBe(202);
    expect(r.body).toMatchObject({ id: 'from-hf', status: 'loading' });
    const loaded = await neuron.waitStatus('from-hf', 'loaded');
    expect(loaded.load_progress).toBe(1);
    expect(hf.requests.some((q) => q.includes('/cortex/demo/resolve/main/remote-q8_0.gguf'))).toBe(true);
    const chat = await json(
      `${neuron.url}/v1/chat/completions`,
      { model: 'from-hf', max_tokens: 3, messages: [{ role: 'user', content: 'x' }] },
      admin,
    );
    expect(chat.status).toBe(200);
  });

  it('downloads https:// sources', async () => {
    const r = await json(
      `${neuron.url}/models/load`,
      { id: 'from-https', source: `${https.url}/files/remote.gguf` },
      admin,
    );
    expect(r).toMatchObject({ status: 200, body: { status: 'loaded' } });
    expect(https.requests.some((q) => q.startsWith('GET /files/remote.gguf'))).toBe(true);
  });

  it('requires the token on every route but the orchestrator probes', async () => {
    const noAuth = await json(`${neuron.url}/models/load`, { id: 'x', source: 'tiny.gguf' });
    expect(noAuth).toMatchObject({ status: 401, body: { error: { code: 'invalid_api_key' } } });
    const wrong = await json(`${neuron.url}/models/unload`, { id: 'other' }, { authorization: 'Bearer nope' });
    expect(wrong.status).toBe(401);
    expect((await json(`${neuron.url}/models`)).status).toBe(401);
    expect((await json(`${neuron.url}/livez`)).status).toBe(200);
    expect((await json(`${neuron.url}/models`, undefined, admin)).status).toBe(200);
  });

  it('GET /version names its build and backends, behind the token like every non-probe route', async () => {
    const open = await fetch(`${neuron.url}/version`);
    expect(open.status).toBe(401);
    const v = (await (await fetch(`${neuron.url}/version`, { headers: admin })).json()) as Record<string, unknown>;
    expect(v).toMatchObject({ name: 'cortex', version: '0.1.0', node_llama_cpp: '3.21.1', backends: ['cpu'] });
    expect(String(v.git_sha)).toMatch(/^[0-9a-f]{40}$/);
    expect(String(v.built_at)).toMatch(/^\d{4}-\d\d-\d\dT/);
  });

  it('refuses to unload a busy model (409) unless forced', async () => {
    const ac = new AbortController();
    const res = await fetch(`${neuron.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...admin },
      body: JSON.stringify({ model: 'other', stream: true, messages: [{ role: 'user', content: 'go on' }] }),
      signal: ac.signal,
    });
    const reading = readSse(res).catch(() => ({ data: [] as unknown[] }));
    await neuron.waitInFlight('other', 1);
    const busy = await json(`${neuron.url}/models/unload`, { id: 'other' }, admin);
    expect(busy).toMatchObject({ status: 409, body: { error: { code: 'model_busy' } } });
    const forced = await json(`${neuron.url}/models/unload`, { id: 'other', force: true }, admin);
    expect(forced.status).toBe(200);
    const { data } = await reading;
    expect(data.at(-1)).not.toBe('[DONE]');
  });
});
