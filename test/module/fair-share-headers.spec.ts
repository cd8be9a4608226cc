/** Module tier: the gateway tells the neuron who a request is for (account, key, share), and never what a client claims. */
import { afterEach, describe, expect, it } from 'vitest';
import { FakeNeuronClient, device, model } from './fake-neuron-client';
import { type Harness, gatewayHarness } from './harness';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const chat = { model: 'm', messages: [{ role: 'user', content: 'hi' }] };
const KEYS =
  '[auth]\nrequire_auth = false\n' +
  '[[auth.keys]]\nkey = "sk-big"\naccount_id = "big"\nshare = 3\n' +
  '[[auth.keys]]\nkey = "sk-plain"\naccount_id = "plain"\nkey_id = "plain-ci"\n';

describe('gateway module: the principal the neuron is told', () => {
  it('a key: its account, key id and share; no key: nothing, whatever the client sends', async () => {
    const fleet = new FakeNeuronClient().node('a', {
      devices: [device('gpu0', 1000)],
      models: [model('m', 'gpu0', 40)],
    });
    h = await gatewayHarness(fleet, '', KEYS);
    const forged = { 'x-cortex-account-id': 'big', 'x-cortex-share': '100' };
    expect((await h.post('/v1/chat/completions', chat, { authorization: 'Bearer sk-big' })).status).toBe(200);
    expect((await h.post('/v1/chat/completions', chat, { 'x-api-key': 'sk-plain', ...forged })).status).toBe(200);
    expect((await h.post('/v1/chat/completions', chat, forged)).status).toBe(200);
    const told = fleet.forwarded.map((f) => [
      f.headers['x-cortex-account-id'],
      f.headers['x-cortex-key-id'],
      f.headers['x-cortex-share'],
    ]);
    expect(told).toEqual([
      ['big', 'big', '3'],
      ['plain', 'plain-ci', '1'],
      [undefined, undefined, undefined],
    ]);
  });
});
