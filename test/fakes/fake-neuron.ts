/**
 * A fake neuron for gateway tests: it speaks the libs/core neuron contract (/discovery, /health,
 * /models, load/unload/pin, /v1/tokenize, OpenAI chat JSON and SSE with pings, contract errors), with
 * configurable speed and faults. Use it only where node-llama-cpp would measure the model instead of
 * cortex (slow streams, hangs, thousands of requests); real neurons prove everything else.
 */
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { NeuronDiscovery, NeuronHealth, NeuronModel } from '@app/core';

export interface FakeNeuronOptions {
  name?: string;
  /** Models resident from the start. */
  models?: string[];
  tokensPerSecond?: number;
  ttftMs?: number;
  /** Token each answer generates when a request sets no max_tokens. */
  defaultTokens?: number;
  /** Expected `Authorization: Bearer` token (none = open). */
  token?: string;
  /** Routes (e.g. "POST /models/unload") that accept the request and never answer. */
  hang?: string[];
  loadMs?: number;
  /** Report nvidia-smi-style utilisation and temperature for its device. */
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

function model(id: string): NeuronModel {
  const now = new Date().toISOString();
  return {
    id,
    device: 'cpu',
    status: 'loaded',
    load_progress: 1,
    vram_mb: 10,
    context_size: 8192,
    in_flight: 0,
    queue_depth: 0,
    max_in_flight: 64,
    last_used_at: now,
    loaded_at: now,
    pinned: false,
  };
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

async function body(req: IncomingMessage): Promise<Record<string, unknown>> {
  let text = '';
  for await (const c of req) text += c;
  try {
    return text ? (JSON.parse(text) as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

export async function startFakeNeuron(opts: FakeNeuronOptions = {}): Promise<FakeNeuron> {
  const name = opts.name ?? 'fake';
  const models = new Map((opts.models ?? ['chat']).map((id) => [id, model(id)]));
  const requests: FakeNeuron['requests'] = [];
  let open = 0;
  let aborted = 0;
  let abandoned = 0;
  const text = 't'.repeat(Math.max(1, (opts.tokenBytes ?? 3) - 1));
  const tps = opts.tokensPerSecond ?? 1000;

  async function chat(req: IncomingMessage, res: ServerResponse, b: Record<string, unknown>) {
    const m = models.get(String(b.model));
    if (!m)
      return send(res, 404, {
        error: { message: 'not loaded', type: 'invalid_request_error', param: 'model', code: 'model_not_found' },
      });
    const n = typeof b.max_tokens === 'number' ? b.max_tokens : (opts.defaultTokens ?? 16);
    const id = `chatcmpl-${Math.random().toString(16).slice(2)}`;
    const chunk = (delta: object, finish: string | null = null) =>
      `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created: 0, model: m.id, choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
    const usage = { prompt_tokens: 5, completion_tokens: n, total_tokens: 5 + n };
    if (b.stream !== true) {
      await new Promise((r) => setTimeout(r, (opts.ttftMs ?? 0) + (n * 1000) / tps));
      return send(res, 200, {
        id,
        object: 'chat.completion',
        created: 0,
        model: m.id,
        choices: [{ index: 0, message: { role: 'assistant', content: 'tok '.repeat(n) }, finish_reason: 'length' }],
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
    const ping = setInterval(() => res.write(': ping\n\n'), 1000);
    res.write(chunk({ role: 'assistant', content: '' }));
    await new Promise((r) => setTimeout(r, opts.ttftMs ?? 0));
    for (let i = 0; i < n && !res.destroyed; i++) {
      res.write(chunk({ content: `${text}${i % 10}` }));
      await new Promise((r) => setTimeout(r, 1000 / tps));
    }
    clearInterval(ping);
    if (res.destroyed) return;
    res.write(chunk({}, 'length'));
    res.write(
      `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created: 0, model: m.id, choices: [], usage })}\n\n`,
    );
    done = true;
    res.end('data: [DONE]\n\n');
  }

  const server: Server = createServer((req, res) => {
    const route = `${req.method} ${(req.url ?? '').split('?')[0]}`;
    requests.push({ route, headers: req.headers });
    if (opts.hang?.includes(route)) {
      res.on('close', () => abandoned++); // accepted, never answered
      return;
    }
    const publicRoute = route === 'GET /livez' || route === 'GET /readyz';
    if (opts.token && !publicRoute && req.headers.authorization !== `Bearer ${opts.token}`) {
      return send(res, 401, {
        error: { message: 'invalid token', type: 'invalid_request_error', param: null, code: 'invalid_api_key' },
      });
    }
    void (async () => {
      const b = req.method === 'POST' ? await body(req) : {};
      switch (route) {
        case 'GET /livez':
        case 'GET /readyz':
          return send(res, 200, { status: 'ok' });
        case 'GET /discovery':
          return send(res, 200, {
            name,
            hostname: name,
            version: 'fake',
            devices: [{ id: 'cpu', kind: 'cpu', name: 'cpu', vram_total_mb: 100000 }],
          } satisfies NeuronDiscovery);
        case 'GET /health':
          return send(res, 200, {
            status: 'ok',
            name,
            uptime_s: 1,
            devices: [
              {
                id: 'cpu',
                kind: 'cpu',
                state: 'ready',
                vram_total_mb: 100000,
                vram_free_mb: 90000,
                ...(opts.gpu ? { utilization_pct: opts.gpu.utilization, temperature_c: opts.gpu.temperature } : {}),
              },
            ],
            models: [],
          } satisfies NeuronHealth);
        case 'GET /models':
          return send(res, 200, { object: 'list', data: [...models.values()] });
        case 'POST /models/load': {
          await new Promise((r) => setTimeout(r, opts.loadMs ?? 0));
          const m = model(String(b.id));
          models.set(m.id, m);
          return send(res, 200, m);
        }
        case 'POST /models/unload':
          models.delete(String(b.id));
          return send(res, 200, { id: b.id, status: 'unloaded' });
        case 'POST /models/pin': {
          const m = models.get(String(b.id));
          if (!m)
            return send(res, 404, {
              error: { message: 'not loaded', type: 'invalid_request_error', param: 'id', code: 'model_not_found' },
            });
          m.pinned = b.pinned !== false;
          return send(res, 200, m);
        }
        case 'POST /v1/tokenize':
          return send(res, 200, { model: b.model, count: JSON.stringify(b.messages ?? '').length });
        case 'POST /v1/chat/completions':
          return chat(req, res, b);
        default:
          return send(res, 404, {
            error: { message: `no route ${route}`, type: 'invalid_request_error', param: null, code: 'not_found' },
          });
      }
    })();
  });
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
