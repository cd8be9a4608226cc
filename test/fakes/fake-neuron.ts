/**
 * A fake neuron for gateway tests and benchmarks: it speaks the libs/core neuron contract
 * (/discovery, /health, /models, load/unload/pin, /v1/tokenize, OpenAI chat JSON and SSE with pings,
 * contract errors), with configurable devices, memory, speed, load time and failure rate. Use it only
 * where node-llama-cpp would measure the model instead of cortex (slow streams, hangs, thousands of
 * requests, hundreds of neurons); real neurons prove everything else.
 */
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CortexError, type NeuronDevice, type NeuronDiscovery, type NeuronHealth, type NeuronModel } from '@app/core';
import { body, drained, fail, fakeToken, random, send, sleep, tokenIndexes } from './fake-tools';

export interface FakeNeuronOptions {
  name?: string;
  /** Models resident from the start, spread over the devices in turn. */
  models?: string[];
  /** Devices: 1 is one `cpu` device; more are `gpu0`, `gpu1`… (CUDA). */
  devices?: number;
  /** Memory of each device. */
  vramMb?: number;
  /** Memory each model takes. */
  modelMb?: number;
  /** Decode speed of every answer (0: as fast as the socket takes it). */
  tokensPerSecond?: number;
  ttftMs?: number;
  /** Tokens each answer generates when a request sets no max_tokens. */
  defaultTokens?: number;
  /** Expected `Authorization: Bearer` token (none = open). */
  token?: string;
  /** Routes (e.g. "POST /models/unload") that accept the request and never answer. */
  hang?: string[];
  loadMs?: number;
  /**
   * Fraction (0–1) of inference requests that fail: a 503 device_fault, or mid-stream an error frame
   * halfway through (a continuation, continue_final_message, goes on after the answer it is given).
   */
  failureRate?: number;
  /** Keep-alive comment interval of streams. */
  pingMs?: number;
  /** Report nvidia-smi-style utilisation and temperature for its devices. */
  gpu?: { utilization: number; temperature: number };
  /** Bytes of text in each streamed token (large ones fill a slow reader's buffers fast). */
  tokenBytes?: number;
}

export interface FakeNeuron {
  url: string;
  /** Every request as "METHOD /path", with the headers it carried. */
  requests: Array<{ route: string; headers: IncomingMessage['headers'] }>;
  /** Streams open now. */
  openStreams(): number;
  /** Streams the client (the gateway) closed before they ended. */
  abortedStreams(): number;
  /** Hung requests whose client gave up (closed the connection). */
  abandoned(): number;
  close(): Promise<void>;
}

export { fakeToken, tokenIndexes } from './fake-tools';

export async function startFakeNeuron(opts: FakeNeuronOptions = {}): Promise<FakeNeuron> {
  const name = opts.name ?? 'fake';
  const nDevices = opts.devices ?? 1;
  const deviceIds = nDevices === 1 ? ['cpu'] : Array.from({ length: nDevices }, (_, i) => `gpu${i}`);
  const vram = opts.vramMb ?? 100_000;
  const modelMb = opts.modelMb ?? 10;
  // 0 = no pacing: every token as fast as the socket takes it.
  const gapMs = (opts.tokensPerSecond ?? 1000) > 0 ? 1000 / (opts.tokensPerSecond ?? 1000) : 0;
  const roll = random(name);
  const requests: FakeNeuron['requests'] = [];
  let open = 0;
  let aborted = 0;
  let abandoned = 0;

  const model = (id: string, device: string): NeuronModel => {
    const now = new Date().toISOString();
    return {
      id,
      device,
      status: 'loaded',
      load_progress: 1,
      vram_mb: modelMb,
      context_size: 8192,
      in_flight: 0,
      queue_depth: 0,
      max_in_flight: 64,
      last_used_at: now,
      loaded_at: now,
      pinned: false,
    };
  };
  const models = new Map((opts.models ?? ['chat']).map((id, i) => [id, model(id, deviceIds[i % nDevices]!)]));
  /** Models on a device (a group's model on each of its devices, an even share of its memory). */
  const on = (device: string) => [...models.values()].filter((m) => m.device === device || m.devices?.includes(device));
  const used = (device: string) => on(device).reduce((sum, m) => sum + modelMb / (m.devices?.length ?? 1), 0);
  const devices = (): NeuronDevice[] =>
    deviceIds.map((id) => ({
      id,
      kind: nDevices === 1 ? 'cpu' : 'cuda',
      state: 'ready',
      vram_total_mb: vram,
      vram_free_mb: vram - used(id),
      group: on(id).find((m) => m.devices)?.device ?? null,
      ...(opts.gpu ? { utilization_pct: opts.gpu.utilization, temperature_c: opts.gpu.temperature } : {}),
    }));

  async function chat(req: IncomingMessage, res: ServerResponse, b: Record<string, unknown>) {
    const m = models.get(String(b.model));
    if (!m) return fail(res, new CortexError('model_not_found', `model '${String(b.model)}' is not loaded`));
    // A continuation (a resumed answer) never fails, so a seeded failure is always survivable.
    const failing = roll() < (opts.failureRate ?? 0) && b.continue_final_message !== true;
    if (failing && b.stream !== true) return fail(res, new CortexError('device_fault', `${m.device} faulted`));
    m.in_flight++;
    m.last_used_at = new Date().toISOString();
    try {
      await answer(res, m, b, failing);
    } finally {
      m.in_flight--;
    }
  }

  async function answer(res: ServerResponse, m: NeuronModel, b: Record<string, unknown>, failing: boolean) {
    const n = typeof b.max_tokens === 'number' ? b.max_tokens : (opts.defaultTokens ?? 16);
    const id = `chatcmpl-${Math.random().toString(16).slice(2)}`;
    const chunk = (delta: object, finish: string | null = null) =>
      `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created: 0, model: m.id, choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
    const usage = { prompt_tokens: 5, completion_tokens: n, total_tokens: 5 + n };
    if (b.stream !== true) {
      const wait = (opts.ttftMs ?? 0) + n * gapMs;
      if (wait > 0) await sleep(wait);
      let content = '';
      for (let i = 0; i < n; i++) content += fakeToken(i, opts.tokenBytes);
      return send(res, 200, {
        id,
        object: 'chat.completion',
        created: 0,
        model: m.id,
        choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'length' }],
        usage,
      });
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    open++;
    let done = false;
    res.on('close', () => {
      open--;
      if (!done) aborted++;
    });
    const ping = setInterval(() => res.write(': ping\n\n'), opts.pingMs ?? 1000);
    res.write(chunk({ role: 'assistant', content: '' }));
    if (opts.ttftMs) await sleep(opts.ttftMs);
    const failAt = failing ? Math.floor(n / 2) : -1;
    // continue_final_message: go on after the tokens the answer so far holds.
    const last = (b.messages as Array<{ content?: unknown }> | undefined)?.at(-1);
    const from = b.continue_final_message === true ? tokenIndexes(String(last?.content ?? '')).length : 0;
    for (let i = from; i < n && !res.destroyed; i++) {
      if (i === failAt) break;
      // Honour backpressure like the real neuron: a full socket waits for drain.
      if (!res.write(chunk({ content: fakeToken(i, opts.tokenBytes) }))) await drained(res);
      if (gapMs) await sleep(gapMs);
    }
    clearInterval(ping);
    if (res.destroyed) return;
    done = true;
    if (failing) {
      const e = new CortexError('device_fault', `${m.device} faulted mid-stream`);
      return res.end(`data: ${JSON.stringify(e.toOpenAI())}\n\n`);
    }
    res.write(chunk({}, 'length'));
    res.write(
      `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created: 0, model: m.id, choices: [], usage })}\n\n`,
    );
    res.end('data: [DONE]\n\n');
  }

  async function load(res: ServerResponse, b: Record<string, unknown>) {
    const id = String(b.id);
    if (models.has(id)) return fail(res, new CortexError('model_exists', `model '${id}' is already loaded`));
    const group = Array.isArray(b.devices) && b.devices.length > 1 ? (b.devices as string[]) : null;
    if (group) {
      if (!group.every((d) => deviceIds.includes(d) && !on(d).length))
        return fail(res, new CortexError('device_busy', `devices: ${group.join(', ')} are not all free`));
    }
    const device = group
      ? group.join('+')
      : typeof b.device === 'string'
        ? b.device
        : deviceIds.find((d) => vram - used(d) >= modelMb);
    if (!group && (!device || !deviceIds.includes(device)))
      return fail(res, new CortexError('device_not_found', `no device ${String(b.device)}`));
    if (!group && vram - used(device!) < modelMb)
      return fail(res, new CortexError('insufficient_capacity', `${device} has no room for '${id}'`));
    const m = {
      ...model(id, device!),
      ...(group ? { devices: group } : {}),
      status: 'loading' as const,
      load_progress: 0,
    };
    models.set(id, m);
    if (opts.loadMs) await sleep(opts.loadMs);
    Object.assign(m, { status: 'loaded', load_progress: 1, loaded_at: new Date().toISOString() });
    return send(res, 200, m);
  }

  async function route(req: IncomingMessage, res: ServerResponse, path: string) {
    const b = req.method === 'POST' ? await body(req) : {};
    switch (path) {
      case 'GET /livez':
      case 'GET /readyz':
        return send(res, 200, { status: 'ok' });
      case 'GET /discovery':
        return send(res, 200, {
          name,
          hostname: name,
          version: 'fake',
          devices: devices().map(({ id, kind, vram_total_mb }) => ({ id, kind, name: id, vram_total_mb })),
        } satisfies NeuronDiscovery);
      case 'GET /health':
        return send(res, 200, {
          status: 'ok',
          name,
          uptime_s: 1,
          devices: devices(),
          models: [],
        } satisfies NeuronHealth);
      case 'GET /models':
        return send(res, 200, { object: 'list', data: [...models.values()] });
      case 'POST /models/load':
        return load(res, b);
      case 'POST /models/unload':
        models.delete(String(b.id));
        return send(res, 200, { id: b.id, status: 'unloaded' });
      case 'POST /models/pin': {
        const m = models.get(String(b.id));
        if (!m) return fail(res, new CortexError('model_not_found', `model '${String(b.id)}' is not loaded`));
        m.pinned = b.pinned !== false;
        return send(res, 200, m);
      }
      case 'POST /v1/tokenize':
        return send(res, 200, { model: b.model, count: JSON.stringify(b.messages ?? '').length });
      case 'POST /v1/chat/completions':
        return chat(req, res, b);
      default:
        return fail(res, new CortexError('not_found', `no route ${path}`));
    }
  }

  const server: Server = createServer((req, res) => {
    const path = `${req.method} ${(req.url ?? '').split('?')[0]}`;
    requests.push({ route: path, headers: req.headers });
    if (requests.length > 10_000) requests.splice(0, 5_000); // bounded under load
    if (opts.hang?.includes(path)) {
      res.on('close', () => abandoned++); // accepted, never answered
      return;
    }
    const publicRoute = path === 'GET /livez' || path === 'GET /readyz';
    if (opts.token && !publicRoute && req.headers.authorization !== `Bearer ${opts.token}`)
      return fail(res, new CortexError('invalid_api_key', 'invalid token'));
    void route(req, res, path);
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    openStreams: () => open,
    abortedStreams: () => aborted,
    abandoned: () => abandoned,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
