/** Module tier: every answered request lands once in the usage ledger, as its client was told its usage (GET /admin/usage). */
import { CortexError, utcDay } from '@app/core';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeNeuronClient, chunk, device, jsonAnswer, lastChunk, model, sseAnswer } from './fake-neuron-client';
import { type Harness, gatewayHarness } from './harness';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const KEYS =
  '[auth]\nrequire_auth = false\n' +
  '[[auth.keys]]\nkey = "sk-a"\naccount_id = "a"\nkey_id = "a-ci"\n' +
  '[[auth.keys]]\nkey = "sk-b"\naccount_id = "b"\n' +
  '[[auth.keys]]\nkey = "sk-admin"\naccount_id = "ops"\nadmin = true\n';
const ask = (stream: boolean) => ({ model: 'm', stream, messages: [{ role: 'user', content: 'hi' }] });
const admin = { authorization: 'Bearer sk-admin' };

describe('gateway module: the usage ledger', () => {
  it('sums each account’s keys per model and day from the usage their answers carried; errors count too', async () => {
    const fleet = new FakeNeuronClient().node('n', {
      devices: [device('gpu0', 1000)],
      models: [model('m', 'gpu0', 40)],
    });
    let calls = 0;
    fleet.answers.set('n', (req) => {
      calls++;
      if (calls === 4) return jsonAnswer(400, new CortexError('invalid_body', 'messages: bad').toOpenAI());
      const reasoning = {
        ...lastChunk(),
        usage: { ...lastChunk().usage, completion_tokens_details: { reasoning_tokens: 1 } },
      };
      return req.body.stream === true
        ? sseAnswer([chunk('hi'), reasoning])
        : jsonAnswer(200, { ...lastChunk(), object: 'chat.completion' });
    });
    h = await gatewayHarness(fleet, '', KEYS);
    expect((await h.post('/v1/chat/completions', ask(true), { authorization: 'Bearer sk-a' })).status).toBe(200);
    expect((await h.post('/v1/chat/completions', ask(false), { authorization: 'Bearer sk-a' })).status).toBe(200);
    expect(
      (
        await h.post(
          '/v1/messages',
          { ...ask(false), max_tokens: 5 },
          { 'x-api-key': 'sk-b', 'anthropic-version': '2023-06-01' },
        )
      ).status,
    ).toBe(200);
    expect((await h.post('/v1/chat/completions', ask(false))).status).toBe(400);
    const r = await h.post('/v1/chat/completions', ask(false), {}); // anonymous, answered
    expect(r.status).toBe(200);
    const usage = await h.post('/admin/usage', {}, admin);
    expect(usage.status).toBe(404); // GET only
    const got = (await h.get('/admin/usage', admin)).json();
    const day = utcDay(Date.now());
    const row = (
      account: string,
      key: string,
      requests: number,
      completion: number,
      reasoning: number,
      errors = 0,
    ) => ({
      day,
      account,
      key,
      model: 'm',
      requests,
      prompt_tokens: 3 * (requests - errors),
      cached_tokens: 0,
      completion_tokens: completion,
      reasoning_tokens: reasoning,
      errors,
    });
    expect(got.data).toEqual([
      row('a', 'a-ci', 2, 4, 1),
      row('anonymous', 'anonymous', 2, 2, 0, 1),
      row('b', 'b', 1, 2, 0),
    ]);
    expect(got.totals).toEqual({
      requests: 5,
      prompt_tokens: 12,
      cached_tokens: 0,
      completion_tokens: 8,
      reasoning_tokens: 1,
      errors: 1,
    });
    // A model no neuron has is one '(unrouted)' line, whatever name the caller makes up.
    for (const name of ['nope-1', 'nope-2']) {
      expect(
        (await h.post('/v1/chat/completions', { ...ask(false), model: name }, { authorization: 'Bearer sk-b' })).status,
      ).toBe(404);
    }
    const only = (await h.get('/admin/usage?account=b', admin)).json();
    expect(only.data.find((x: { model: string }) => x.model === '(unrouted)')).toMatchObject({
      requests: 2,
      errors: 2,
    });
    expect(only.data.map((x: { account: string }) => x.account)).toEqual(['b', 'b']);
  });

  it('refuses a malformed query with a 400 naming the field, and anyone but an admin', async () => {
    const fleet = new FakeNeuronClient().node('n', {
      devices: [device('gpu0', 1000)],
      models: [model('m', 'gpu0', 40)],
    });
    h = await gatewayHarness(fleet, '', KEYS);
    const get = (url: string, headers: Record<string, string> = admin) => h!.get(url, headers);
    for (const [q, param] of [
      ['since=yesterday', 'since'],
      ['until=2026-13-45', 'until'],
      ['since=2026-01-01&since=2026-01-02', 'since'],
    ]) {
      const r = await get(`/admin/usage?${q}`);
      expect(r.status).toBe(400);
      expect(r.json().error.param).toBe(param);
    }
    expect((await get('/admin/usage?since=2026-12-01&until=2026-12-31')).status).toBe(200);
    expect((await get('/admin/usage', { authorization: 'Bearer sk-a' })).status).toBe(403);
  });
});
