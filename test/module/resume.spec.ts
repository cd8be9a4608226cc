/** Module tier: an answer cut by a neuron fault goes on on the other replica, spliced into one stream (docs/resume.md). */
import { CortexError } from '@app/core';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type Answer,
  FakeNeuronClient,
  type Forwarded,
  device,
  jsonAnswer,
  model,
  sseAnswer,
} from './fake-neuron-client';
import { type Harness, gatewayHarness } from './harness';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const FAULT = new CortexError('device_fault', 'cpu faulted mid-stream').toOpenAI();
const ask = { model: 'm', stream: true, messages: [{ role: 'user', content: 'hi' }] };
const piece = (id: string, delta: object, finish: string | null = null) => ({
  id,
  object: 'chat.completion.chunk',
  created: id === 'first' ? 1 : 2,
  model: 'm',
  choices: [{ index: 0, delta, finish_reason: finish }],
});
const usage = (id: string) => ({ ...piece(id, {}), choices: [], usage: { prompt_tokens: 3, completion_tokens: 4 } });

/** Two replicas; whichever serves first fails as `first` says, the continuation answers as `then` says. */
async function fleet(first: Answer, then: Answer, extra = '', models = '') {
  const client = new FakeNeuronClient();
  for (const n of ['a', 'b']) client.node(n, { devices: [device('gpu0', 1000)], models: [model('m', 'gpu0', 40)] });
  const answer: Answer = (req) => (client.forwarded.length === 1 ? first(req) : then(req));
  client.answers.set('a', answer).set('b', answer);
  h = await gatewayHarness(client, models, extra);
  return { client };
}

/** "Hel", then a device fault; the continuation says "lo". */
const HELLO_CUT: [Answer, Answer] = [
  () =>
    sseAnswer([piece('first', { role: 'assistant', content: '' }), piece('first', { content: 'Hel' }), FAULT], {
      done: false,
    }),
  () =>
    sseAnswer([
      piece('second', { role: 'assistant', content: '' }),
      piece('second', { content: 'lo' }),
      piece('second', {}, 'stop'),
      usage('second'),
    ]),
];

describe('gateway module: a stream survives its neuron', () => {
  it('continues the answer on the other replica: the answer so far as the last message, one stream, one id', async () => {
    const { client } = await fleet(...HELLO_CUT);
    const r = await h!.post('/v1/chat/completions', ask, { 'x-request-id': 'trace-1' });
    expect(r.status).toBe(200);
    const events = r.events();
    expect(events.at(-1)).toBe('[DONE]');
    expect(events.filter((e) => e.error)).toEqual([]);
    expect(events.filter((e) => e.choices?.[0]?.delta?.role)).toHaveLength(1);
    expect(new Set(events.filter((e) => e.id).map((e) => e.id))).toEqual(new Set(['first']));
    expect(events.map((e) => e.choices?.[0]?.delta?.content ?? '').join('')).toBe('Hello');
    const [one, two] = client.forwarded as [Forwarded, Forwarded];
    expect(one.node).not.toBe(two.node);
    expect(two.body.continue_final_message).toBe(true);
    expect((two.body.messages as unknown[]).at(-1)).toEqual({ role: 'assistant', content: 'Hel' });
    expect([one.headers['x-request-id'], two.headers['x-request-id']]).toEqual(['trace-1', 'trace-1']);
    // The usage ledger has one request, with the usage of the whole answer the client was told.
    const ledger = (await h!.get('/admin/usage')).json();
    expect(ledger.totals).toMatchObject({ requests: 1, prompt_tokens: 3, completion_tokens: 4, errors: 0 });
  });

  it('in Anthropic Messages too: one message, one text block', async () => {
    await fleet(...HELLO_CUT);
    const r = await h!.post('/v1/messages', { ...ask, max_tokens: 50 }, { 'anthropic-version': '2023-06-01' });
    const types = r.events().map((e) => e.type);
    expect(types.filter((t) => t === 'message_start')).toHaveLength(1);
    expect(types.filter((t) => t === 'content_block_start')).toHaveLength(1);
    expect(types).not.toContain('error');
    expect(types.at(-1)).toBe('message_stop');
    const text = r
      .events()
      .map((e) => (e.type === 'content_block_delta' ? e.delta.text : ''))
      .join('');
    expect(text).toBe('Hello');
  });

  it('sends a non-streamed request to the other replica when the first answers with a device fault', async () => {
    const { client } = await fleet(
      () => jsonAnswer(503, FAULT),
      () =>
        jsonAnswer(200, {
          id: 'x',
          object: 'chat.completion',
          choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' }],
        }),
    );
    const r = await h!.post('/v1/chat/completions', { ...ask, stream: false });
    expect(r.status).toBe(200);
    expect(r.json().choices[0].message.content).toBe('ok');
    expect(client.forwarded[1]!.body.continue_final_message).toBeUndefined();
  });

  it('never resumes a client error, nor when the caller, the config or the model says no', async () => {
    let c = await fleet(
      () => jsonAnswer(400, new CortexError('invalid_body', 'messages: bad').toOpenAI()),
      () => jsonAnswer(200, {}),
    );
    expect((await h!.post('/v1/chat/completions', { ...ask, stream: false })).status).toBe(400);
    expect(c.client.forwarded).toHaveLength(1);
    await h!.close();
    const cut = () => sseAnswer([piece('first', { content: 'Hel' }), FAULT], { done: false });
    c = await fleet(cut, () => sseAnswer([]));
    let r = await h!.post('/v1/chat/completions', ask, { 'x-cortex-resume': 'off' });
    expect(r.events().at(-1)).toMatchObject({ error: { code: 'device_fault' } });
    expect(c.client.forwarded).toHaveLength(1);
    await h!.close();
    c = await fleet(cut, () => sseAnswer([]), '[resume]\nmax_attempts = 0\n');
    r = await h!.post('/v1/chat/completions', ask);
    expect(r.events().at(-1)).toMatchObject({ error: { code: 'device_fault' } });
    expect(c.client.forwarded).toHaveLength(1);
    expect((await h!.post('/v1/chat/completions', ask, { 'x-cortex-resume': 'later' })).status).toBe(400);
    await h!.close();
    c = await fleet(
      cut,
      () => sseAnswer([]),
      '',
      '[[models]]\nid = "m"\nsource = "m.gguf"\nvram_mb = 40\nresume = false\n',
    );
    r = await h!.post('/v1/chat/completions', ask);
    expect(r.events().at(-1)).toMatchObject({ error: { code: 'device_fault' } });
    expect(c.client.forwarded).toHaveLength(1);
  });

  it('ends with an error, not arguments that do not parse, when a regenerated tool call differs from what was sent', async () => {
    const call = (id: string, args: string, head = false) =>
      piece(id, {
        tool_calls: [
          {
            index: 0,
            ...(head ? { id: 'call_0', type: 'function' } : {}),
            function: { ...(head ? { name: 'get' } : {}), arguments: args },
          },
        ],
      });
    await fleet(
      () => sseAnswer([call('first', '', true), call('first', '{"city": "Pa'), FAULT], { done: false }),
      () => sseAnswer([call('second', '', true), call('second', '{"city": "Lo'), call('second', 'ndon"}')]),
    );
    const r = await h!.post('/v1/chat/completions', ask);
    expect(r.events().at(-1)).toMatchObject({ error: { code: 'upstream_stream_error' } });
  });
});
