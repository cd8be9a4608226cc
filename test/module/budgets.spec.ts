/**
 * Module tier: token budgets with reservations. A request reserves its worst case before it is
 * sent (GET /admin/budgets shows it held), settles with the usage its client was told, and
 * releases on an error; a spent balance is a 429 insufficient_quota in every dialect, a spent
 * rolling window a 429 rate_limit_exceeded with Retry-After, and concurrent requests can never
 * reserve past the cap.
 */
import { CortexError } from '@app/core';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeNeuronClient, completion, device, jsonAnswer, lastChunk, model, sseAnswer } from './fake-neuron-client';
import { type Harness, gatewayHarness } from './harness';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const KEYS =
  '[auth]\nrequire_auth = true\n' +
  '[[auth.keys]]\nkey = "sk-a"\naccount_id = "a"\nkey_id = "a-ci"\nhard_cap = 200\n' +
  '[[auth.keys]]\nkey = "sk-b1"\naccount_id = "b"\n' +
  '[[auth.keys]]\nkey = "sk-b2"\naccount_id = "b"\n' +
  '[[auth.accounts]]\naccount_id = "b"\nhard_cap = 35\nwindow = { kind = "rolling", seconds = 60 }\n' +
  '[[auth.keys]]\nkey = "sk-admin"\naccount_id = "ops"\nadmin = true\n';
const admin = { authorization: 'Bearer sk-admin' };
const as = (key: string) => ({ authorization: `Bearer ${key}` });
const ask = (max: number, stream = false) => ({
  model: 'm',
  stream,
  max_tokens: max,
  messages: [{ role: 'user', content: 'hi' }],
});

/** A fleet of one node whose answers wait for `gate` (when set) and use 5 tokens; max_tokens 7 is a 400. */
function fleet(gate?: Promise<unknown>) {
  const f = new FakeNeuronClient().node('n', { devices: [device('gpu0', 1000)], models: [model('m', 'gpu0', 40)] });
  f.answers.set('n', (req) => {
    if (req.body.max_tokens === 7) return jsonAnswer(400, new CortexError('invalid_body', 'messages: bad').toOpenAI());
    return req.body.stream === true ? sseAnswer([lastChunk()], { hold: gate }) : jsonAnswer(200, completion('ok'));
  });
  return f;
}

async function budget(line: string) {
  const r = await h!.get('/admin/budgets', admin);
  expect(r.status).toBe(200);
  return (r.json().data as Array<Record<string, unknown>>).find((b) => b.line === line);
}

describe('gateway module: budgets with reservations', () => {
  it('reserves the worst case while a request runs, settles with its usage, releases on an error, then refuses a spent balance in every dialect', async () => {
    let open!: () => void;
    h = await gatewayHarness(fleet(new Promise<void>((r) => (open = r))), '', KEYS);
    expect(await budget('key:a-ci')).toEqual({
      line: 'key:a-ci',
      kind: 'balance',
      cap: 200,
      spent: 0,
      reserved: 0,
      available: 200,
      resets_in_s: null,
    });
    const running = h.post('/v1/chat/completions', ask(20, true), as('sk-a'));
    await expect.poll(async () => (await budget('key:a-ci'))?.reserved).toBeGreaterThan(20);
    const bytes = Buffer.byteLength(JSON.stringify(ask(20, true)));
    expect((await budget('key:a-ci'))?.reserved).toBe(Math.ceil(bytes / 4) + 20);
    open();
    expect((await running).status).toBe(200);
    await expect.poll(async () => (await budget('key:a-ci'))?.spent).toBe(5);
    expect((await budget('key:a-ci'))?.reserved).toBe(0);

    // An answer that fails spends nothing: its reservation is released.
    expect((await h.post('/v1/chat/completions', ask(7), as('sk-a'))).status).toBe(400);
    await expect.poll(async () => (await budget('key:a-ci'))?.reserved).toBe(0);
    expect((await budget('key:a-ci'))?.spent).toBe(5);

    const refused = await h.post('/v1/chat/completions', ask(1000), as('sk-a'));
    expect(refused.status).toBe(429);
    expect(refused.headers['retry-after']).toBeUndefined();
    expect(refused.json().error).toMatchObject({ type: 'insufficient_quota', code: 'insufficient_quota' });
    expect(refused.json().error.message).toMatch(
      /^key 'a-ci': hard balance exhausted \(\d+ requested, 195 available\)$/,
    );
    const anthropic = await h.post('/v1/messages', ask(1000), {
      'x-api-key': 'sk-a',
      'anthropic-version': '2023-06-01',
    });
    expect(anthropic.status).toBe(429);
    expect(anthropic.json()).toMatchObject({ type: 'error', error: { type: 'rate_limit_error' } });
    // Responses' max_output_tokens is the output reserved.
    const responses = (max: number) =>
      h!.post('/v1/responses', { model: 'm', input: 'hi', max_output_tokens: max }, as('sk-a'));
    expect((await responses(1000)).status).toBe(429);
    expect((await responses(10)).status).toBe(200);
    await expect.poll(async () => (await budget('key:a-ci'))?.spent).toBe(10);
    // A request refused for a malformed header holds nothing.
    const bad = await h.post('/v1/chat/completions', ask(5), { ...as('sk-a'), 'x-cortex-resume': 'maybe' });
    expect(bad.status).toBe(400);
    expect(await budget('key:a-ci')).toMatchObject({ spent: 10, reserved: 0 });
  });

  it('an account’s rolling window caps all its keys together: a 429 rate_limit_exceeded with Retry-After', async () => {
    h = await gatewayHarness(fleet(), '', KEYS);
    // Each request reserves 22 (its 86-byte body) + 5 and spends 5: two fit in 35, a third does not.
    expect(Math.ceil(Buffer.byteLength(JSON.stringify(ask(5))) / 4) + 5).toBe(27);
    expect((await h.post('/v1/chat/completions', ask(5), as('sk-b1'))).status).toBe(200);
    expect((await h.post('/v1/chat/completions', ask(5), as('sk-b2'))).status).toBe(200);
    await expect.poll(async () => (await budget('account:b'))?.spent).toBe(10);
    for (const key of ['sk-b1', 'sk-b2']) {
      const r = await h.post('/v1/chat/completions', ask(5), as(key));
      expect(r.status).toBe(429);
      expect(r.json().error).toMatchObject({ type: 'rate_limit_error', code: 'rate_limit_exceeded' });
      expect(r.json().error.message).toMatch(/^account 'b': rolling-window budget exhausted .*; resets in \d+s$/);
      expect(Number(r.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      expect(Number(r.headers['retry-after'])).toBeLessThanOrEqual(60);
    }
    expect(await budget('account:b')).toMatchObject({ kind: 'rolling', cap: 35, spent: 10, reserved: 0 });
  });

  it('concurrent long answers never reserve past the cap: those that do not fit are refused before they are sent', async () => {
    let open!: () => void;
    h = await gatewayHarness(fleet(new Promise<void>((r) => (open = r))), '', KEYS);
    // Each reserves 22 + 50: two fit in 200, a third would not.
    const all = Array.from({ length: 5 }, () => h!.post('/v1/chat/completions', ask(50, true), as('sk-a')));
    await expect.poll(async () => h!.client.forwarded.length).toBe(2);
    const view = await budget('key:a-ci');
    expect(view!.reserved as number).toBeLessThanOrEqual(200);
    open();
    const statuses = (await Promise.all(all)).map((r) => r.status).sort();
    expect(statuses).toEqual([200, 200, 429, 429, 429]);
    await expect.poll(async () => (await budget('key:a-ci'))?.spent).toBe(10);
  });
});
