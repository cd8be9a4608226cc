/**
 * Module tier: every error code a neuron can answer reaches the client with the same status and type
 * in each dialect, whether the request streamed or not — one table (by code), not one per path.
 * Streams see it three ways: as the neuron's answer before the stream starts, as an error frame
 * inside the stream, and as the end of a stream that opened early while a model loaded.
 */
import { CortexError, ERROR_CODES, type ErrorCode, anthropicStatusOf, kindOf, statusOf } from '@app/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PollerService } from '../../apps/gateway/src/poller/poller.service';
import { FakeNeuronClient, chunk, device, jsonAnswer, model, sseAnswer } from './fake-neuron-client';
import { type Harness, type Reply, gatewayHarness } from './harness';

const CODES = Object.keys(ERROR_CODES) as ErrorCode[];
const OPENAI_TYPE: Record<string, string> = {};
const ANTHROPIC_TYPE: Record<string, string> = {};
for (const code of CODES) {
  const e = new CortexError(code, 'x');
  OPENAI_TYPE[code] = e.toOpenAI().error.type;
  ANTHROPIC_TYPE[code] = e.toAnthropic().error.type;
}

/** How the neuron answers: the error as a JSON reply (its status), or as a frame inside a stream. */
const neuronBody = (code: ErrorCode) => new CortexError(code, `the neuron says ${code}`).toOpenAI();

const ROUTES = {
  openai: (stream: boolean) => ({
    path: '/v1/chat/completions',
    body: { model: 'm', stream, messages: [{ role: 'user', content: 'hi' }] },
  }),
  anthropic: (stream: boolean) => ({
    path: '/v1/messages',
    body: { model: 'm', stream, max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] },
  }),
  responses: (stream: boolean) => ({ path: '/v1/responses', body: { model: 'm', stream, input: 'hi' } }),
};
type Dialect = keyof typeof ROUTES;

/** Status and type of a whole error answer in `dialect`. */
function whole(dialect: Dialect, r: Reply): { status: number; type: string; code?: string } {
  const b = r.json();
  if (dialect === 'anthropic') return { status: r.status, type: b.error.type };
  return { status: r.status, type: b.error.type, code: b.error.code };
}

/** The error a stream ended with, in `dialect`. */
function streamed(dialect: Dialect, r: Reply): { type: string; code?: string } {
  const events = r.events();
  const last = events.filter((e) => typeof e === 'object').at(-1);
  if (dialect === 'anthropic') return { type: last.error.type };
  if (dialect === 'responses') {
    expect(last.type).toBe('response.failed');
    return { type: '', code: last.response.error.code };
  }
  return { type: last.error.type, code: last.error.code };
}

const expectedStatus = (dialect: Dialect, code: ErrorCode) =>
  dialect === 'anthropic' ? anthropicStatusOf(kindOf(code)) : statusOf(kindOf(code));

let h: Harness;
let fleet: FakeNeuronClient;
let mode: { code: ErrorCode; how: 'json' | 'frame' } = { code: 'internal_error', how: 'json' };

beforeAll(async () => {
  fleet = new FakeNeuronClient().node('a', { devices: [device('gpu0', 1000)], models: [model('m', 'gpu0', 40)] });
  fleet.answers.set('a', () => {
    const body = neuronBody(mode.code);
    if (mode.how === 'frame') return sseAnswer([chunk('par'), body], { done: false });
    return jsonAnswer(statusOf(kindOf(mode.code)), body);
  });
  h = await gatewayHarness(fleet, '[[models]]\nid = "cold"\nsource = "cold.gguf"\nvram_mb = 40\n');
});
afterAll(() => h.close());

describe.each(Object.keys(ROUTES) as Dialect[])('%s: a neuron error by code', (dialect) => {
  // A 404 model_not_found makes the gateway forget that copy (another gateway unloaded it): each
  // request polls it back first.
  it.each(CODES)('%s: the same status and type, JSON or streamed', async (code) => {
    mode = { code, how: 'json' };
    for (const stream of [false, true]) {
      await h.app.get(PollerService).pollOnce();
      const { path, body } = ROUTES[dialect](stream);
      const r = await h.post(path, body);
      const got = whole(dialect, r);
      expect(got.status, `stream: ${stream}`).toBe(expectedStatus(dialect, code));
      expect(got.type).toBe(dialect === 'anthropic' ? ANTHROPIC_TYPE[code] : OPENAI_TYPE[code]);
      if (dialect !== 'anthropic') expect(got.code).toBe(code);
    }
    mode = { code, how: 'frame' };
    await h.app.get(PollerService).pollOnce();
    const { path, body } = ROUTES[dialect](true);
    const r = await h.post(path, body);
    expect(r.status).toBe(200);
    const got = streamed(dialect, r);
    if (dialect === 'anthropic') expect(got.type).toBe(ANTHROPIC_TYPE[code]);
    else expect(got.code).toBe(code);
    if (dialect === 'openai') expect(got.type).toBe(OPENAI_TYPE[code]);

    // A stream that opened while its model loaded (pinging meanwhile) ends with the error instead.
    const a = fleet.nodes.get('a')!;
    a.models = a.models.filter((m) => m.id !== 'cold');
    await h.app.get(PollerService).pollOnce();
    mode = { code, how: 'json' };
    const early = await h.post(path, { ...body, model: 'cold' });
    expect(early.status).toBe(200);
    const ended = streamed(dialect, early);
    if (dialect === 'anthropic') expect(ended.type).toBe(ANTHROPIC_TYPE[code]);
    else expect(ended.code).toBe(code);
    expect(fleet.loads.at(-1)?.spec.id).toBe('cold');
  });
});
