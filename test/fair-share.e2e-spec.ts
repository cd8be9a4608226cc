import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type NeuronHandle, startNeuron } from './helpers/neuron';
import { until } from './helpers/processes';

// Fair share on a real neuron with one seat: account "a" holds the seat and queues three more; then
// account "b" queues one. With a token (only a gateway holding it can name accounts) b's request
// takes the next seat; without one the headers are not believed and the queue is first come, first
// served.

const TOKEN = 'neuron-secret';
const ADMISSION = '[admission]\nmax_in_flight = 1\nmax_queue_depth = 8\nmax_wait_s = 60\n';
const PRELOAD = '[[preload]]\nid = "tiny"\nsource = "tiny.gguf"\ncontext_size = 1024\n';

async function grantOrder(neuron: NeuronHandle, token?: string): Promise<string[]> {
  const auth: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
  const send = (account: string, maxTokens: number) =>
    fetch(`${neuron.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-cortex-account-id': account, ...auth },
      body: JSON.stringify({
        model: 'tiny',
        max_tokens: maxTokens,
        messages: [{ role: 'user', content: `a question from ${account}` }],
      }),
    });
  const order: string[] = [];
  const all: Array<Promise<unknown>> = [];
  const queue = async (name: string, account: string, depth: number) => {
    all.push(
      send(account, 40).then(async (r) => {
        expect(r.status).toBe(200);
        await r.text();
        order.push(name);
      }),
    );
    // Each request is queued before the next is sent, so arrival order is certain.
    await until(async () => ((await neuron.health()).models[0]!.queue_depth as number) >= depth, 20_000, 5);
  };
  all.push(send('a', 900).then(async (r) => (await r.text(), order.push('a1'))));
  await until(async () => (await neuron.health()).models[0]!.in_flight === 1, 20_000, 5);
  await queue('a2', 'a', 1);
  await queue('a3', 'a', 2);
  await queue('a4', 'a', 3);
  await queue('b1', 'b', 4);
  await Promise.all(all);
  return order;
}

describe('fair share of a neuron’s seats between accounts', () => {
  let trusted: NeuronHandle;
  let open: NeuronHandle;

  beforeAll(async () => {
    [trusted, open] = await Promise.all([
      startNeuron(`devices = ["cpu"]\n${ADMISSION}${PRELOAD}`, { token: TOKEN }),
      startNeuron(`devices = ["cpu"]\n${ADMISSION}${PRELOAD}`),
    ]);
    await Promise.all([trusted.waitStatus('tiny', 'loaded'), open.waitStatus('tiny', 'loaded')]);
  });
  afterAll(async () => {
    await trusted?.close();
    await open?.close();
  });

  it('with a token, the account that waited least goes next: b before a’s queued three', async () => {
    expect(await grantOrder(trusted, TOKEN)).toEqual(['a1', 'b1', 'a2', 'a3', 'a4']);
  });

  it('without a token, account headers are not believed: first come, first served', async () => {
    expect(await grantOrder(open)).toEqual(['a1', 'a2', 'a3', 'a4', 'b1']);
  });
});
