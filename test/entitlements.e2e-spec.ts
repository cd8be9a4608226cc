/**
 * A gateway with an entitlement authority ([entitlements.upstream]) the test starts: keys it does
 * not know are resolved there, their budgets are reserved, settled and released there with the
 * bearer, refusals keep the authority's kind (insufficient_quota, or rate_limited with its
 * Retry-After), served usage is reported as absolute counters, and an authority that fails or
 * hangs fails closed with a 503 and Retry-After 5 while cortex.toml's own keys go on working.
 */
import { utcDay } from '@app/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeAuthority, startAuthority } from './fakes/authority';
import { type FakeNeuron, startFakeNeuron } from './fakes/fake-neuron';
import { type GatewayHandle, startGateway } from './helpers/gateway';
import { json, until } from './helpers/processes';

const chat = (max: number) => ({ model: 'chat', max_tokens: max, messages: [{ role: 'user', content: 'hi' }] });
const as = (key: string) => ({ authorization: `Bearer ${key}` });
const admin = as('sk-admin');

describe('an entitlement authority', () => {
  let authority: FakeAuthority;
  let neuron: FakeNeuron;
  let gw: GatewayHandle;

  beforeAll(async () => {
    authority = await startAuthority('authz-secret');
    neuron = await startFakeNeuron({ models: ['chat'] });
    gw = await startGateway({
      neurons: [{ name: 'n', url: neuron.url }],
      models: '[[models]]\nid = "chat"\nsource = "chat.gguf"\n',
      extra:
        '[auth]\nrequire_auth = true\n' +
        '[[auth.keys]]\nkey = "sk-local"\naccount_id = "local"\n' +
        '[[auth.keys]]\nkey = "sk-admin"\naccount_id = "ops"\nadmin = true\n' +
        `[entitlements.upstream]\nurl = "${authority.url}"\nbearer = "authz-secret"\ntimeout_ms = 400\n` +
        'cache_s = 0\nserved_usage_interval_s = 1\n',
    });
  }, 60_000);

  afterAll(async () => {
    await gw?.close();
    await neuron?.close();
    await authority?.close();
  });

  const callsTo = (path: string) => authority.calls.filter((c) => c.path === path);

  it('resolves a key it knows, reserves the worst case, and settles with the usage the client was told', async () => {
    const before = authority.calls.length;
    const r = await json<{ usage: { prompt_tokens: number; completion_tokens: number } }>(
      `${gw.url}/v1/chat/completions`,
      chat(8),
      as('up-acme'),
    );
    expect(r.status).toBe(200);
    const calls = authority.calls.slice(before);
    expect(calls.map((c) => c.path).slice(0, 2)).toEqual(['resolve', 'reserve']);
    expect(calls.every((c) => c.bearer === 'Bearer authz-secret')).toBe(true);
    expect(calls[0]!.body).toEqual({ api_key: 'up-acme' });
    const bytes = Buffer.byteLength(JSON.stringify(chat(8)));
    expect(calls[1]!.body).toEqual({ account_id: 'acme', key_id: 'acme-ci', max_tokens: Math.ceil(bytes / 4) + 8 });
    await until(async () => callsTo('settle').length > 0, 5000, 20);
    expect(callsTo('settle')[0]!.body).toEqual({
      reservation_id: 'r-1',
      actual_tokens: r.body.usage.prompt_tokens + r.body.usage.completion_tokens,
    });
    expect(authority.ledger.get('acme')!.reserved.size).toBe(0);
    // The ledger names the authority's account and key.
    const usage = await json<{ data: Array<{ account: string; key: string }> }>(
      `${gw.url}/admin/usage`,
      undefined,
      admin,
    );
    expect(usage.body.data).toContainEqual(expect.objectContaining({ account: 'acme', key: 'acme-ci' }));
    const budgets = await json<{ data: unknown[] }>(`${gw.url}/admin/budgets`, undefined, admin);
    expect(budgets.body.data).toContainEqual(
      expect.objectContaining({ line: 'key:acme-ci', kind: 'authority', cap: 10_000, reserved: 0 }),
    );
  });

  it('releases the reservation of a request that failed', async () => {
    const released = callsTo('release').length;
    const r = await json(`${gw.url}/v1/chat/completions`, { ...chat(4), model: 'no-such-model' }, as('up-acme'));
    expect(r.status).toBe(404);
    await until(async () => callsTo('release').length > released, 5000, 20);
    expect(authority.ledger.get('acme')!.reserved.size).toBe(0);
  });

  it('keeps the authority’s refusals: a spent balance is insufficient_quota, a rate limit has its Retry-After', async () => {
    const poor = await json<{ error: { type: string; code: string } }>(
      `${gw.url}/v1/chat/completions`,
      chat(4),
      as('up-poor'),
    );
    expect(poor.status).toBe(429);
    expect(poor.body.error).toMatchObject({ type: 'insufficient_quota', code: 'insufficient_quota' });
    expect(poor.headers.get('retry-after')).toBeNull();
    const busy = await json<{ error: { code: string } }>(`${gw.url}/v1/chat/completions`, chat(4), as('up-busy'));
    expect(busy.status).toBe(429);
    expect(busy.body.error.code).toBe('rate_limit_exceeded');
    expect(busy.headers.get('retry-after')).toBe('7');
    const anthropic = await json<{ type: string; error: { type: string } }>(`${gw.url}/v1/messages`, chat(4), {
      'x-api-key': 'up-poor',
      'anthropic-version': '2023-06-01',
    });
    expect(anthropic.status).toBe(429);
    expect(anthropic.body).toMatchObject({ type: 'error', error: { type: 'rate_limit_error' } });
  });

  it('a key neither knows is a 401, and cortex.toml’s own keys never ask the authority', async () => {
    const r = await json<{ error: { code: string } }>(`${gw.url}/v1/chat/completions`, chat(2), as('made-up'));
    expect(r.status).toBe(401);
    expect(r.body.error.code).toBe('invalid_api_key');
    const before = authority.calls.length;
    expect((await json(`${gw.url}/v1/chat/completions`, chat(2), as('sk-local'))).status).toBe(200);
    expect(authority.calls.slice(before).filter((c) => c.path !== 'served-usage')).toEqual([]);
  });

  it('reports served usage as absolute counters per account, key and day', async () => {
    const told = authority.ledger.get('acme')!.spent;
    const report = async () => {
      const last = callsTo('served-usage').at(-1)?.body.rows as Array<Record<string, unknown>> | undefined;
      return last?.find((row) => row.account_id === 'acme');
    };
    await until(async () => (await report())?.served_tokens === told, 5000, 100);
    expect(await report()).toEqual({
      account_id: 'acme',
      key_id: 'acme-ci',
      period: utcDay(Date.now()),
      served_tokens: told,
    });
    const n = callsTo('served-usage').length;
    await until(async () => callsTo('served-usage').length > n, 5000, 100);
    expect((await report())?.served_tokens).toBe(told); // sent again, the same absolute figure
  });

  it('fails closed when the authority fails, hangs or answers garbage: a 503 with Retry-After 5 in the caller’s dialect, and no hang', async () => {
    for (const mode of ['fail', 'hang', 'garbage'] as const) {
      authority.mode = mode;
      const r = await json<{ error: { code: string; message: string } }>(
        `${gw.url}/v1/chat/completions`,
        chat(2),
        as('up-acme'),
      );
      expect(r.status).toBe(503);
      expect(r.body.error.code).toBe('service_unavailable');
      expect(r.body.error.message).toBe('entitlement authority temporarily unavailable');
      expect(r.headers.get('retry-after')).toBe('5');
      const anthropic = await json<{ type: string }>(`${gw.url}/v1/messages`, chat(2), {
        'x-api-key': 'up-acme',
        'anthropic-version': '2023-06-01',
      });
      expect(anthropic.status).toBe(529);
      expect(anthropic.body.type).toBe('error');
      // cortex.toml's keys do not depend on it.
      expect((await json(`${gw.url}/v1/chat/completions`, chat(2), as('sk-local'))).status).toBe(200);
    }
    authority.mode = 'ok';
    expect(await gw.metrics()).toMatch(/cortex_entitlement_errors_total\{call="resolve"\} [1-9]/);
  }, 30_000);
});
