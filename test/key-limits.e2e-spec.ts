import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeNeuron, startFakeNeuron } from './fakes/fake-neuron';
import { type GatewayHandle, startGateway } from './helpers/gateway';
import { json, until } from './helpers/processes';

// Per-key limits through a real gateway (a fake neuron measures nothing here but the gateway): 429s
// with Retry-After and each dialect's remaining-limit headers, counted in metrics.

const KEYS =
  '[auth]\nrequire_auth = true\n' +
  '[[auth.keys]]\nkey = "sk-one"\naccount_id = "one"\nmax_concurrent = 1\n' +
  '[[auth.keys]]\nkey = "sk-rpm"\naccount_id = "rpm"\nrequests_per_minute = 2\n' +
  '[[auth.keys]]\nkey = "sk-tpm"\naccount_id = "tpm"\ntokens_per_minute = 20\n' +
  '[[auth.keys]]\nkey = "sk-free"\naccount_id = "free"\n';

describe('per-key limits', () => {
  let fake: FakeNeuron;
  let gw: GatewayHandle;
  const chat = (key: string, extra: Record<string, unknown> = {}) =>
    fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: JSON.stringify({ model: 'chat', max_tokens: 10, messages: [{ role: 'user', content: 'x' }], ...extra }),
    });

  beforeAll(async () => {
    fake = await startFakeNeuron({ models: ['chat'], tokensPerSecond: 50, gpu: { utilization: 87, temperature: 64 } });
    gw = await startGateway({
      neurons: [],
      models: '[[models]]\nid = "chat"\nsource = "chat.gguf"\n',
      extra: `${KEYS}[[neurons]]\nname = "n"\nendpoint = "${fake.url}"\n`,
    });
  });
  afterAll(async () => {
    await gw?.close();
    await fake?.close();
  });

  it('max_concurrent: a second request while the first runs is a 429 with Retry-After; then it passes', async () => {
    const first = chat('sk-one', { max_tokens: 40, stream: true });
    await until(async () => fake.openStreams() === 1, 5000, 20);
    const second = await chat('sk-one');
    expect(second.status).toBe(429);
    expect(second.headers.get('retry-after')).toBe('1');
    expect(await second.json()).toMatchObject({ error: { code: 'rate_limit_exceeded', type: 'rate_limit_error' } });
    expect((await chat('sk-free')).status).toBe(200); // other keys are not held up
    await (await first).text();
    expect((await chat('sk-one')).status).toBe(200);
  });

  it('requests_per_minute: OpenAI x-ratelimit-* headers count down, then a 429', async () => {
    const a = await chat('sk-rpm');
    expect(a.headers.get('x-ratelimit-limit-requests')).toBe('2');
    expect(a.headers.get('x-ratelimit-remaining-requests')).toBe('1');
    expect((await chat('sk-rpm')).headers.get('x-ratelimit-remaining-requests')).toBe('0');
    const refused = await chat('sk-rpm');
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(refused.headers.get('x-ratelimit-reset-requests')).toMatch(/^\d+s$/);
  });

  it('tokens_per_minute: charged from usage; the next Anthropic request is a 429 with anthropic-ratelimit-* headers', async () => {
    const r = await json(
      `${gw.url}/v1/chat/completions`,
      { model: 'chat', max_tokens: 30, messages: [{ role: 'user', content: 'x' }] },
      { authorization: 'Bearer sk-tpm' },
    );
    expect(r.status).toBe(200);
    const res = await fetch(`${gw.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': 'sk-tpm' },
      body: JSON.stringify({ model: 'chat', max_tokens: 5, messages: [{ role: 'user', content: 'x' }] }),
    });
    expect(res.status).toBe(429);
    expect(await res.json()).toMatchObject({ type: 'error', error: { type: 'rate_limit_error' } });
    expect(res.headers.get('anthropic-ratelimit-tokens-limit')).toBe('20');
    expect(res.headers.get('anthropic-ratelimit-tokens-remaining')).toBe('0');
    expect(res.headers.get('anthropic-ratelimit-tokens-reset')).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    const metrics = await gw.metrics();
    expect(metrics).toMatch(/cortex_rate_limited_total\{key_id="one",limit="concurrency"\} 1/);
    expect(metrics).toMatch(/cortex_rate_limited_total\{key_id="rpm",limit="requests"\} 1/);
    expect(metrics).toMatch(/cortex_rate_limited_total\{key_id="tpm",limit="tokens_per_minute"\} 1/);
    // Device utilisation and temperature, where a neuron reports them, are re-exported.
    expect(metrics).toMatch(/cortex_device_utilization_percent\{node="n",device="cpu"\} 87/);
    expect(metrics).toMatch(/cortex_device_temperature_celsius\{node="n",device="cpu"\} 64/);
  });
});
