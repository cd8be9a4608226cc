import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeNeuron, startFakeNeuron } from './fakes/fake-neuron';
import { type GatewayHandle, startGateway } from './helpers/gateway';
import { type NeuronHandle, startNeuron } from './helpers/neuron';
import { json } from './helpers/processes';
import { GATEWAY_ROUTES, NEURON_ROUTES, type RouteSpec, routeKey } from './helpers/routes';

// Every route of both apps × {no key, wrong key, right key, admin key, spoofed identity headers}:
// who gets in, who gets 401 or 403, and that a client's x-cortex-* identity never reaches a neuron.

const BODY: Record<string, unknown> = { model: 'chat', max_tokens: 1, messages: [{ role: 'user', content: 'x' }] };
const SPOOF = { 'x-cortex-account-id': 'victim', 'x-cortex-key-id': 'victim-key' };

type Cred = 'none' | 'wrong' | 'user' | 'admin' | 'spoofed';
const CREDS: Cred[] = ['none', 'wrong', 'user', 'admin', 'spoofed'];

function headersOf(cred: Cred): Record<string, string> {
  switch (cred) {
    case 'none':
      return {};
    case 'wrong':
      return { authorization: 'Bearer sk-wrong' };
    case 'user':
      return { authorization: 'Bearer sk-user' };
    case 'admin':
      return { 'x-api-key': 'sk-admin' };
    case 'spoofed':
      return SPOOF;
  }
}

/** What the gateway must answer: 'in' means past authentication (any status but 401/403). */
function expectedGateway(route: RouteSpec, cred: Cred): 'in' | 401 | 403 {
  if (route.access === 'public') return 'in';
  if (cred === 'none' || cred === 'spoofed' || cred === 'wrong') return 401;
  if (route.access === 'admin' && cred === 'user') return 403;
  return 'in';
}

async function call(base: string, route: RouteSpec, headers: Record<string, string>) {
  const res = await fetch(`${base}${route.path.replace(':id', 'cpu')}`, {
    method: route.method,
    headers: { 'content-type': 'application/json', ...headers },
    body: route.method === 'POST' ? JSON.stringify(route.path.startsWith('/devices') ? {} : BODY) : undefined,
  });
  const text = await res.text();
  return { status: res.status, text, headers: res.headers };
}

describe('auth matrix', () => {
  let fake: FakeNeuron;
  let gw: GatewayHandle;

  beforeAll(async () => {
    fake = await startFakeNeuron({ token: 'nt', models: ['chat'] });
    gw = await startGateway({
      neurons: [],
      models: '[[models]]\nid = "chat"\nsource = "chat.gguf"\n',
      extra:
        '[auth]\nrequire_auth = true\n' +
        '[[auth.keys]]\nkey = "sk-user"\naccount_id = "team"\nkey_id = "team-ci"\n' +
        '[[auth.keys]]\nkey = "sk-admin"\naccount_id = "ops"\nadmin = true\n' +
        `[[neurons]]\nname = "n"\nendpoint = "${fake.url}"\ntoken = "nt"\n`,
      env: { CORTEX_GATEWAY__METRICS_TOKEN: 'prom', CORTEX_GATEWAY__CORS_ORIGINS: '["https://chat.example.com"]' },
    });
  });
  afterAll(async () => {
    await gw?.close();
    await fake?.close();
  });

  for (const route of GATEWAY_ROUTES) {
    it.each(CREDS)(`gateway ${routeKey(route)} with %s credentials`, async (cred) => {
      const r = await call(gw.url, route, headersOf(cred));
      const want = expectedGateway(route, cred);
      if (want === 'in') expect([401, 403], r.text).not.toContain(r.status);
      else {
        expect(r.status, r.text).toBe(want);
        const body = JSON.parse(r.text) as { type?: string; error: { type: string; code?: string } };
        if (route.dialect === 'anthropic') {
          expect(body).toMatchObject({
            type: 'error',
            error: { type: want === 401 ? 'authentication_error' : 'permission_error' },
          });
        } else expect(body.error.code).toBe(want === 401 ? 'invalid_api_key' : 'permission_denied');
      }
    });
  }

  it('restamps identity: a client’s x-cortex-* headers never reach the neuron, the key’s do', async () => {
    const before = fake.requests.length;
    const r = await call(
      gw.url,
      GATEWAY_ROUTES.find((x) => x.path === '/v1/chat/completions')!,
      {
        ...headersOf('user'),
        ...SPOOF,
      },
    );
    expect(r.status).toBe(200);
    const sent = fake.requests.slice(before).find((q) => q.route === 'POST /v1/chat/completions')!;
    expect(sent.headers['x-cortex-account-id']).toBe('team');
    expect(sent.headers['x-cortex-key-id']).toBe('team-ci');
    expect(sent.headers.authorization).toBe('Bearer nt'); // the neuron's token, never the client's key
  });

  it('a stored response is visible only to the account that made it', async () => {
    const ask = { model: 'chat', input: 'x', max_output_tokens: 2 };
    const made = await json<{ id: string }>(`${gw.url}/v1/responses`, ask, headersOf('user'));
    expect(made.status).toBe(200);
    const url = `${gw.url}/v1/responses/${made.body.id}`;
    expect((await json(url, undefined, headersOf('admin'))).status).toBe(404);
    expect((await json(url, undefined, { ...headersOf('admin'), ...SPOOF })).status).toBe(404);
    const chained = await json(
      `${gw.url}/v1/responses`,
      { ...ask, previous_response_id: made.body.id },
      headersOf('admin'),
    );
    expect(chained).toMatchObject({ status: 404, body: { error: { param: 'previous_response_id' } } });
    expect((await json(url, undefined, headersOf('user'))).body).toMatchObject({
      id: made.body.id,
      status: 'incomplete',
    });
    const del = await fetch(url, { method: 'DELETE', headers: headersOf('user') });
    expect(await del.json()).toEqual({ id: made.body.id, object: 'response', deleted: true });
    expect((await json(url, undefined, headersOf('user'))).status).toBe(404);
  });

  it('metrics need the metrics token', async () => {
    expect((await fetch(`${gw.metricsUrl}/metrics`)).status).toBe(401);
    expect((await fetch(`${gw.metricsUrl}/metrics`, { headers: { authorization: 'Bearer nope' } })).status).toBe(401);
    const ok = await fetch(`${gw.metricsUrl}/metrics`, { headers: { authorization: 'Bearer prom' } });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain('cortex_requests_total');
  });

  it('CORS answers only allowed origins, and never on /admin', async () => {
    const models = (origin: string) =>
      fetch(`${gw.url}/v1/models`, { headers: { origin, authorization: 'Bearer sk-user' } });
    expect((await models('https://chat.example.com')).headers.get('access-control-allow-origin')).toBe(
      'https://chat.example.com',
    );
    expect((await models('https://evil.example')).headers.get('access-control-allow-origin')).toBeNull();
    const admin = await fetch(`${gw.url}/admin/fleet`, {
      headers: { origin: 'https://chat.example.com', 'x-api-key': 'sk-admin' },
    });
    expect(admin.status).toBe(200);
    expect(admin.headers.get('access-control-allow-origin')).toBeNull();
    const preflight = await fetch(`${gw.url}/admin/models/unload`, {
      method: 'OPTIONS',
      headers: { origin: 'https://chat.example.com', 'access-control-request-method': 'POST' },
    });
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('auth matrix: admin without admin keys', () => {
  it('answers /admin only to this machine when no admin key exists, and not through a proxy', async () => {
    const fake = await startFakeNeuron();
    const gw = await startGateway({ neurons: [{ name: 'n', url: fake.url }], models: '' });
    try {
      expect((await json(`${gw.url}/admin/fleet`)).status).toBe(200);
      const proxied = await json(`${gw.url}/admin/fleet`, undefined, { 'x-forwarded-for': '203.0.113.9' });
      expect(proxied).toMatchObject({ status: 403, body: { error: { code: 'permission_denied' } } });
    } finally {
      await gw.close();
      await fake.close();
    }
  });
});

describe('auth matrix: neuron', () => {
  let n: NeuronHandle;
  beforeAll(async () => {
    n = await startNeuron('devices = ["cpu"]\n', { token: 'nt' });
  });
  afterAll(() => n?.close());

  const NEURON_CREDS: Record<string, Record<string, string>> = {
    none: {},
    wrong: { authorization: 'Bearer wrong' },
    right: { authorization: 'Bearer nt' },
    'x-api-key only': { 'x-api-key': 'nt' },
    spoofed: SPOOF,
  };

  for (const route of NEURON_ROUTES) {
    it.each(Object.keys(NEURON_CREDS))(`neuron ${routeKey(route)} with %s`, async (cred) => {
      const r = await call(n.url, route, NEURON_CREDS[cred]!);
      if (route.access === 'public' || cred === 'right') expect(r.status, r.text).not.toBe(401);
      else {
        expect(r.status, r.text).toBe(401);
        expect(JSON.parse(r.text)).toMatchObject({ error: { code: 'invalid_api_key', type: 'invalid_request_error' } });
      }
    });
  }
});
