import { request } from 'node:http';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isErrorCode } from '@app/core';
import { type GatewayHandle, startGateway } from './helpers/gateway';
import { type NeuronHandle, startNeuron } from './helpers/neuron';
import { json, readSse } from './helpers/processes';
import {
  GATEWAY_METRICS_ROUTES,
  GATEWAY_ROUTES,
  NEURON_ROUTES,
  type RouteSpec,
  declaredRoutes,
  routeKey,
} from './helpers/routes';

// fast-check throws malformed, oversized, deeply nested and prototype-laden bodies, headers, query
// strings and model ids at every route of a real gateway and a real neuron (node-llama-cpp on a
// tiny model). Every answer must be a 2xx or a 4xx in its route's dialect with a contract error code,
// no process may crash, and the fleet must still serve afterwards.

const SEED = Number(process.env.CORTEX_HOSTILE_SEED ?? 20261130);
const GATEWAY_RUNS = 800;
const NEURON_RUNS = 500;
const TOKEN = 'neuron-token';

const CATALOGUE = `
[[models]]
id = "chat"
source = "tiny.gguf"
context_size = 256
max_in_flight = 2
[aliases]
"cortex/chat" = "chat"
`;

const KEYS =
  '[auth]\nrequire_auth = false\n' +
  // sk-user has budgets (never spent here), so every hostile body also goes through reserve and settle.
  '[[auth.keys]]\nkey = "sk-user"\naccount_id = "team"\nhard_cap = 1000000000000\n' +
  '[[auth.accounts]]\naccount_id = "team"\nhard_cap = 1000000000000\nwindow = { kind = "rolling", seconds = 3600 }\n' +
  '[[auth.keys]]\nkey = "sk-admin"\naccount_id = "ops"\nadmin = true\n';

let neuron: NeuronHandle;
let gw: GatewayHandle;
const statuses = new Map<string, number>();
let sent = 0;

beforeAll(async () => {
  neuron = await startNeuron('devices = ["cpu"]\n[admission]\nmax_in_flight = 2\n', { token: TOKEN });
  gw = await startGateway({
    neurons: [],
    models: CATALOGUE,
    extra: `${KEYS}[eviction]\nmin_residency_s = 0\n[[neurons]]\nname = "n"\nendpoint = "${neuron.url}"\ntoken = "${TOKEN}"\n`,
  });
  // warm the model so most bodies reach real validation and generation
  const warm = await json(`${gw.url}/v1/chat/completions`, {
    model: 'chat',
    max_tokens: 2,
    messages: [{ role: 'user', content: 'hi' }],
  });
  expect(warm.status).toBe(200);
});

afterAll(async () => {
  console.log(`hostile-input: ${sent} requests; statuses ${JSON.stringify(Object.fromEntries([...statuses].sort()))}`);
  await gw?.close();
  await neuron?.close();
});

// ---- generators -------------------------------------------------------------------------------

const nasty = fc.constantFrom(
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'hasOwnProperty',
  'valueOf',
  '../../etc/passwd',
  '/etc/passwd',
  'file:///etc/passwd',
  'hf:org/repo/x.gguf',
  'https://evil.example/x.gguf',
  'chat',
  'cortex/chat',
  '',
  ' ',
  '\u0000',
  '%00',
  '💥',
  'x'.repeat(10_000),
);
const hostileString = fc.oneof(fc.string({ maxLength: 40 }), nasty, fc.string({ unit: 'grapheme', maxLength: 20 }));
const hostileValue = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  hostileString,
  fc.constantFrom(-1, 0, 1e308, -1e308, 2 ** 53, 1.5, true, null, [], {}),
);

const BASE: Record<string, Record<string, unknown>> = {
  '/v1/chat/completions': { model: 'chat', max_tokens: 8, messages: [{ role: 'user', content: 'hi' }] },
  '/v1/completions': { model: 'chat', max_tokens: 8, prompt: 'hi' },
  '/v1/embeddings': { model: 'chat', input: 'hi' },
  '/v1/responses': { model: 'chat', max_output_tokens: 8, input: [{ role: 'user', content: 'hi' }] },
  '/v1/messages': { model: 'chat', max_tokens: 8, messages: [{ role: 'user', content: 'hi' }] },
  '/v1/messages/count_tokens': { model: 'chat', messages: [{ role: 'user', content: 'hi' }] },
  '/v1/tokenize': { model: 'chat', text: 'hi' },
  '/admin/models/load': { model: 'chat' },
  '/admin/models/place': { model: 'chat' },
  '/admin/models/unload': { model: 'chat' },
  '/admin/models/pin': { model: 'chat' },
  '/admin/models/unpin': { model: 'chat' },
  '/models/load': { id: 'chat', source: 'tiny.gguf' },
  '/models/unload': { id: 'chat' },
  '/models/pin': { id: 'chat' },
  '/models/estimate': { source: 'tiny.gguf', context_size: 256 },
};

/** JSON text with `"key": value` spliced in at depth 0 or into the first nested object. */
function splice(base: Record<string, unknown>, key: string, value: unknown, nested: boolean): string {
  const text = JSON.stringify(base);
  const pair = `${JSON.stringify(key)}:${JSON.stringify(value) ?? 'null'}`;
  const at = nested ? text.indexOf('{', 1) : 0;
  if (at < 0) return `{${pair},${text.slice(1)}`;
  return `${text.slice(0, at + 1)}${pair}${text[at + 1] === '}' ? '' : ','}${text.slice(at + 1)}`;
}

function bodyFor(path: string): fc.Arbitrary<string | undefined> {
  const base = BASE[path.replace(/\/devices\/.*/, '/devices')] ?? {};
  const keys = [
    ...Object.keys(base),
    ...['stream', 'tools', 'tool_choice', 'system', 'n', 'logprobs', 'top_logprobs', 'device', 'force'],
    ...['reasoning_effort', 'thinking_budget', 'thinking', 'parallel_tool_calls', 'context_size', 'max_in_flight'],
    ...['min_devices', 'devices', 'node', 'min_context', 'with_prompt', 'continue_final_message'],
    ...(path === '/v1/responses'
      ? ['instructions', 'previous_response_id', 'text', 'reasoning', 'include', 'store', 'metadata', 'background']
      : []),
  ];
  return fc.oneof(
    {
      weight: 6,
      arbitrary: fc
        .tuple(fc.oneof(fc.constantFrom(...keys), hostileString), hostileValue, fc.boolean())
        .map(([k, v, nested]) => splice(base, k, v, nested)),
    },
    { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 5 }).map((v) => JSON.stringify(v)) },
    {
      weight: 1,
      arbitrary: fc
        .tuple(fc.integer({ min: 65, max: 60_000 }), fc.constantFrom('[', '{"a":'))
        .map(([depth, open]) => open.repeat(depth) + '1' + (open === '[' ? ']' : '}').repeat(depth)),
    },
    {
      weight: 1,
      arbitrary: fc
        .constantFrom('__proto__', 'constructor', 'prototype')
        .map((k) => splice(base, k, { polluted: true, prototype: { polluted: true } }, true)),
    },
    { weight: 1, arbitrary: fc.oneof(fc.string({ maxLength: 200 }), fc.constant(''), fc.constant(undefined)) },
    // Responses item references: hostile ids, and references among other items.
    ...(path !== '/v1/responses'
      ? []
      : [
          {
            weight: 2,
            arbitrary: fc.tuple(hostileValue, fc.boolean()).map(([id, more]) =>
              JSON.stringify({
                model: 'chat',
                max_output_tokens: 8,
                input: [
                  ...(more ? [{ role: 'user', content: 'hi' }] : []),
                  { type: 'item_reference', id },
                  ...(more ? [{ type: 'function_call_output', call_id: id, output: 'x' }] : []),
                ],
              }),
            ),
          },
        ]),
  );
}

const contentType = fc.oneof(
  { weight: 8, arbitrary: fc.constant('application/json') },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      'text/plain',
      'application/x-www-form-urlencoded',
      'application/json; charset=utf-16',
      'multipart/form-data; boundary=x',
      '',
    ),
  },
);

const printable = fc.string({
  unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)),
  maxLength: 60,
});

function headersFor(keys: string[]): fc.Arbitrary<Record<string, string>> {
  return fc.record(
    {
      authorization: fc.oneof(
        fc.constantFrom(...keys.map((k) => `Bearer ${k}`), 'Bearer ', 'Basic Zm9vOmJhcg=='),
        printable,
      ),
      'x-api-key': fc.oneof(fc.constantFrom(...keys), printable),
      'x-cortex-account-id': printable,
      'x-cortex-key-id': printable,
      'x-forwarded-for': fc.constantFrom('10.0.0.1', '127.0.0.1'),
      'anthropic-version': printable,
      'x-cortex-fault': fc.constantFrom('none', 'bogus'),
      'x-cortex-resume': fc.oneof(fc.constantFrom('on', 'off', 'ON', ''), printable),
    },
    { requiredKeys: [] },
  );
}

const query = fc.oneof(
  { weight: 3, arbitrary: fc.constant('') },
  {
    weight: 1,
    arbitrary: fc.dictionary(printable, printable, { maxKeys: 4 }).map((d) => `?${new URLSearchParams(d)}`),
  },
  { weight: 1, arbitrary: fc.constantFrom('?beta=true', '?__proto__[x]=1', '?constructor.prototype.x=1', '?a=%zz') },
);

// ---- checks -----------------------------------------------------------------------------------

async function problemWith(route: RouteSpec, res: Response): Promise<string | null> {
  const status = res.status;
  statuses.set(String(status), (statuses.get(String(status)) ?? 0) + 1);
  if (status >= 500) return `${status}: ${await res.text()}`;
  if (route.method === 'HEAD') return null;
  if (status < 300) {
    if (!(res.headers.get('content-type') ?? '').includes('text/event-stream')) return null;
    const { data } = await readSse(res);
    const last = data.at(-1) as { type?: string; error?: unknown } | string | undefined;
    const ended =
      last === '[DONE]' ||
      (typeof last === 'object' &&
        (last.error ||
          ['message_stop', 'error', 'response.completed', 'response.incomplete', 'response.failed'].includes(
            last.type ?? '',
          )));
    return ended ? null : `stream ended without a finish or an error: ${JSON.stringify(last)}`;
  }
  const text = await res.text();
  let body: { type?: string; error?: { type?: unknown; message?: unknown; code?: unknown } };
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    return `${status} not JSON: ${text.slice(0, 200)}`;
  }
  const e = body.error;
  if (typeof e?.message !== 'string' || typeof e?.type !== 'string')
    return `${status} no envelope: ${text.slice(0, 200)}`;
  if (route.dialect === 'anthropic')
    return body.type === 'error' ? null : `${status} not Anthropic: ${text.slice(0, 200)}`;
  return isErrorCode(e.code) ? null : `${status} code ${String(e.code)} is not a contract ErrorCode`;
}

async function hit(
  base: string,
  route: RouteSpec,
  path: string,
  q: string,
  headers: Record<string, string>,
  ct: string,
  body?: string,
) {
  sent++;
  const res = await fetch(`${base}${path}${q}`, {
    method: route.method,
    headers: { ...(ct ? { 'content-type': ct } : {}), ...headers },
    body: route.method === 'POST' ? body : undefined,
    signal: AbortSignal.timeout(60_000),
  });
  return problemWith(route, res);
}

function suite(routes: RouteSpec[], base: () => string, keys: string[], runs: number) {
  const routeArb = fc.constantFrom(...routes).chain((route) =>
    fc.record({
      route: fc.constant(route),
      path: route.path.includes(':id')
        ? hostileString.filter((s) => s !== 'cpu').map((id) => route.path.replace(':id', encodeURIComponent(id) || 'x'))
        : fc.constant(route.path),
      body: route.method === 'POST' ? bodyFor(route.path) : fc.constant(undefined),
      headers: headersFor(keys),
      contentType,
      query,
    }),
  );
  return fc.assert(
    fc.asyncProperty(routeArb, async (c) => {
      const problem = await hit(base(), c.route, c.path, c.query, c.headers, c.contentType, c.body);
      if (problem) throw new Error(`${routeKey(c.route)}: ${problem}`);
    }),
    { numRuns: runs, seed: SEED, endOnFailure: true },
  );
}

describe('hostile input', () => {
  it('covers every route the controllers declare', () => {
    const known = new Set([...GATEWAY_ROUTES, ...GATEWAY_METRICS_ROUTES, ...NEURON_ROUTES].map(routeKey));
    expect(declaredRoutes('gateway').filter((r) => !known.has(r))).toEqual([]);
    expect(declaredRoutes('neuron').filter((r) => !known.has(r))).toEqual([]);
  });

  it(`gateway: ${GATEWAY_RUNS} generated requests, no 5xx, every error in its dialect`, async () => {
    await suite(GATEWAY_ROUTES, () => gw.url, ['sk-user', 'sk-admin', 'sk-wrong'], GATEWAY_RUNS);
  }, 600_000);

  it(`neuron: ${NEURON_RUNS} generated requests, no 5xx, every error in the OpenAI envelope`, async () => {
    await suite(NEURON_ROUTES, () => neuron.url, [TOKEN, 'wrong-token'], NEURON_RUNS);
  }, 600_000);

  it('the metrics port: hostile Host headers and neuron names get a 4xx, never a 5xx; real ones their answer', async () => {
    const metrics = new URL(gw.metricsUrl);
    const get = (path: string, host: string) =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = request({ host: metrics.hostname, port: metrics.port, path, method: 'GET', headers: { host } });
        req.on('response', (res) => {
          let body = '';
          res.on('data', (d: Buffer) => (body += d.toString()));
          res.on('end', () => resolve({ status: res.statusCode!, body }));
        });
        req.on('error', reject);
        req.end();
      });
    const sd = await get('/prometheus/neurons', metrics.host);
    expect(sd.status).toBe(200);
    expect(JSON.parse(sd.body)).toEqual([
      { targets: [metrics.host], labels: { __metrics_path__: '/neurons/n/metrics', neuron: 'n' } },
    ]);
    const scraped = await get('/neurons/n/metrics', metrics.host);
    expect(scraped.status).toBe(200);
    expect(scraped.body).toContain('neuron_');
    await fc.assert(
      fc.asyncProperty(hostileString, hostileString, async (host, name) => {
        const safeHost = host.replace(/[^\x21-\x7e]/g, '') || 'x'; // what HTTP lets a header carry
        for (const r of [
          await get('/prometheus/neurons', safeHost),
          await get(`/neurons/${encodeURIComponent(name) || 'x'}/metrics`, metrics.host),
        ]) {
          expect(r.status, r.body).toBeLessThan(500);
          if (r.status >= 400) expect(isErrorCode(JSON.parse(r.body).error.code), r.body).toBe(true);
        }
      }),
      { numRuns: 100, seed: SEED },
    );
  });

  it('oversized bodies are a 413 in each dialect, on each app', async () => {
    // Announce the size and send nothing more: the server answers from content-length alone, the
    // way a client uploading 33 MB would get its 413 before the upload ends.
    const announce = (url: string, bytes: number, headers: Record<string, string>) =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = request(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'content-length': String(bytes), ...headers },
        });
        req.on('response', (res) => {
          let body = '';
          res.on('data', (d: Buffer) => (body += d.toString()));
          res.on('end', () => resolve({ status: res.statusCode!, body }));
        });
        req.on('error', reject);
        req.flushHeaders();
      });
    const auth = { authorization: `Bearer ${TOKEN}` };
    const cases: Array<[string, RouteSpec, number, Record<string, string>]> = [
      [gw.url, GATEWAY_ROUTES.find((r) => r.path === '/v1/chat/completions')!, 33 * 1024 * 1024, {}],
      [gw.url, GATEWAY_ROUTES.find((r) => r.path === '/v1/messages')!, 33 * 1024 * 1024, {}],
      [gw.url, GATEWAY_ROUTES.find((r) => r.path === '/admin/models/load')!, 100 * 1024, {}],
      [neuron.url, NEURON_ROUTES.find((r) => r.path === '/v1/chat/completions')!, 33 * 1024 * 1024, auth],
      [neuron.url, NEURON_ROUTES.find((r) => r.path === '/models/load')!, 100 * 1024, auth],
    ];
    for (const [base, route, bytes, headers] of cases) {
      sent++;
      const res = await announce(`${base}${route.path}`, bytes, headers);
      expect(res.status, routeKey(route)).toBe(413);
      const parsed = JSON.parse(res.body) as { type?: string; error: { code?: string; type: string } };
      if (route.dialect === 'anthropic')
        expect(parsed).toMatchObject({ type: 'error', error: { type: 'request_too_large' } });
      else expect(parsed.error.code).toBe('request_too_large');
    }
  });

  it('leaves the fleet healthy: both processes up, the neuron healthy, a normal request served', async () => {
    expect(gw.child.exitCode).toBeNull();
    expect(neuron.child.exitCode).toBeNull();
    expect((await fetch(`${gw.url}/livez`)).status).toBe(200);
    expect((await fetch(`${neuron.url}/livez`)).status).toBe(200);
    const ok = await json(`${gw.url}/v1/chat/completions`, {
      model: 'chat',
      max_tokens: 3,
      messages: [{ role: 'user', content: 'still there?' }],
    });
    expect(ok.status).toBe(200);
    const health = await json<{ neurons: Array<{ healthy: boolean; last_error: string | null }> }>(`${gw.url}/health`);
    expect(health.body.neurons[0]).toMatchObject({ healthy: true });
    expect(sent).toBeGreaterThanOrEqual(1000);
  });
});
