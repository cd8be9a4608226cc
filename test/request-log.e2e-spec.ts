import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GatewayHandle, startGateway } from './helpers/gateway';
import { type NeuronHandle, startNeuron } from './helpers/neuron';
import { json, readSse, until } from './helpers/processes';

// One request id from client to neuron, and one structured log line per request on each app.

const MARKER = 'purple-elephant-7731';

function lines(output: string, id: string): Array<Record<string, unknown>> {
  return output
    .split('\n')
    .filter((l) => l.startsWith('{') && l.includes('"msg":"request"'))
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((l) => l.request_id === id);
}

describe('request ids and the request log', () => {
  let neuron: NeuronHandle;
  let gw: GatewayHandle;

  beforeAll(async () => {
    neuron = await startNeuron('devices = ["cpu"]\n');
    gw = await startGateway({
      neurons: [{ name: 'n', url: neuron.url }],
      models: '[[models]]\nid = "chat"\nsource = "tiny.gguf"\ncontext_size = 2048\n',
    });
  });
  afterAll(async () => {
    await gw?.close();
    await neuron?.close();
  });

  it('takes the client’s id, returns it, passes it to the neuron, and both log one line for it', async () => {
    const ask = { model: 'chat', max_tokens: 3, messages: [{ role: 'user', content: `say ${MARKER}` }] };
    const r = await json(`${gw.url}/v1/chat/completions`, ask, { 'x-request-id': 'trace-abc.1', 'x-session-id': 's' });
    expect(r.status).toBe(200);
    expect(r.headers.get('x-request-id')).toBe('trace-abc.1');
    const gwLine = await until(async () => lines(gw.output(), 'trace-abc.1')[0]);
    const nLine = await until(async () => lines(neuron.output(), 'trace-abc.1')[0]);
    expect(gwLine).toMatchObject({
      app: 'gateway',
      route: '/v1/chat/completions',
      status: 200,
      api: 'openai',
      model: 'chat',
      node: 'n',
      device: 'cpu',
      cold_start: true,
      prompt_tokens: expect.any(Number),
      cached_tokens: expect.any(Number),
      completion_tokens: 3,
      duration_ms: expect.any(Number),
    });
    expect(nLine).toMatchObject({
      app: 'neuron',
      status: 200,
      model: 'chat',
      device: 'cpu',
      queue_ms: expect.any(Number),
      ttft_ms: expect.any(Number),
      prompt_tokens: gwLine.prompt_tokens,
      completion_tokens: 3,
    });
    // Prompts and completions are never logged.
    expect(gw.output() + neuron.output()).not.toContain(MARKER);
  });

  it('streams carry the id in their headers, with TTFT in the gateway’s line', async () => {
    const res = await fetch(`${gw.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': 'trace-stream' },
      body: JSON.stringify({ model: 'chat', max_tokens: 3, stream: true, messages: [{ role: 'user', content: 'x' }] }),
    });
    expect(res.headers.get('x-request-id')).toBe('trace-stream');
    await readSse(res);
    const line = await until(async () => lines(gw.output(), 'trace-stream')[0]);
    expect(line).toMatchObject({ api: 'anthropic', status: 200, ttft_ms: expect.any(Number) });
  });

  it('replaces an id that is not a sane token, and puts the id in every error body, in each dialect', async () => {
    const bad = await json(
      `${gw.url}/v1/chat/completions`,
      { model: 'nope', messages: [] },
      { 'x-request-id': 'a b\u00e9' },
    );
    const id = bad.headers.get('x-request-id')!;
    expect(id).toMatch(/^req_[0-9a-f]{32}$/);
    expect(bad.body).toMatchObject({ error: { request_id: id } });
    const anthropic = await json(`${gw.url}/v1/messages`, { model: 'chat' }, { 'x-request-id': 'trace-err' });
    expect(anthropic).toMatchObject({ status: 400, body: { type: 'error', request_id: 'trace-err' } });
    const errLine = await until(async () => lines(gw.output(), 'trace-err')[0]);
    expect(errLine).toMatchObject({ status: 400, error: 'invalid_body', error_kind: 'invalid_request' });
    const unknown = await json(`${gw.url}/v1/nothing-here`, {}, { 'x-request-id': 'trace-404' });
    expect(unknown).toMatchObject({ status: 404, body: { error: { code: 'not_found', request_id: 'trace-404' } } });
    const neuronErr = await json(
      `${neuron.url}/v1/chat/completions`,
      { model: 'absent', messages: [] },
      { 'x-request-id': 'trace-n' },
    );
    expect(neuronErr.body).toMatchObject({ error: { request_id: 'trace-n' } });
  });

  it('writes readable lines for people (CORTEX_LOG_FORMAT=pretty, the default on a terminal), JSON otherwise', async () => {
    const pretty = await startGateway({
      neurons: [{ name: 'n', url: neuron.url }],
      models: '[[models]]\nid = "chat"\nsource = "tiny.gguf"\ncontext_size = 2048\n',
      env: { CORTEX_LOG_FORMAT: 'pretty' },
    });
    try {
      const ask = { model: 'chat', max_tokens: 2, messages: [{ role: 'user', content: 'hi' }] };
      expect((await json(`${pretty.url}/v1/chat/completions`, ask)).status).toBe(200);
      const line = await until(async () =>
        pretty
          .output()
          .split('\n')
          .find((l) => l.includes('POST /v1/chat/completions')),
      );
      expect(line).toMatch(/^\d\d:\d\d:\d\d gateway POST \/v1\/chat\/completions 200 \d+ ms chat@n tokens \d+→\d+$/);
      expect(pretty.output()).not.toContain('"msg":"request"');
    } finally {
      await pretty.close();
    }
  });
});
