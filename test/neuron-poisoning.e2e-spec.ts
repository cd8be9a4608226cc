import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { type NeuronHandle, startNeuron } from './helpers/neuron';
import { json, readSse, until } from './helpers/processes';

// Honest poisoning on a real neuron with two CPU device workers: device faults restart the worker
// and restore its models; JavaScript errors and cancellations fail only their request.

const body = (model: string, extra: Record<string, unknown> = {}) => ({
  model,
  messages: [{ role: 'user', content: 'keep talking' }],
  ...extra,
});
const withFault = (fault: string) => ({ 'x-cortex-fault': fault });

type Device = { id: string; pid: number; state: string; restarts: number };
const devices = async (n: NeuronHandle) => (await n.health()).devices as unknown as Device[];
const device = async (n: NeuronHandle, id: string) => (await devices(n)).find((d) => d.id === id)!;
const metric = async (n: NeuronHandle, re: RegExp) => re.exec(await (await fetch(`${n.url}/metrics`)).text())?.[1];

const TWO_DEVICES = `devices = ["cpu", "cpu"]
step_timeout_s = 2
[[preload]]
id = "a"
source = "tiny.gguf"
device = "cpu-0"
context_size = 2048
[[preload]]
id = "b"
source = "tiny.gguf"
device = "cpu-1"
context_size = 2048
`;

describe('neuron poisoning', () => {
  let neuron: NeuronHandle | undefined;
  afterEach(async () => {
    await neuron?.close();
    neuron = undefined;
  });
  afterAll(async () => neuron?.close());

  async function twoDevices(): Promise<NeuronHandle> {
    const n = await startNeuron(TWO_DEVICES);
    await n.waitStatus('a', 'loaded');
    await n.waitStatus('b', 'loaded');
    return n;
  }

  it('kill -9 of a worker mid-stream: error event, new worker, model restored, next request served, other device untouched', async () => {
    neuron = await twoDevices();
    const before0 = await device(neuron, 'cpu-0');
    const before1 = await device(neuron, 'cpu-1');
    const res = await fetch(`${neuron.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body('a', { stream: true })),
    });
    const { data } = await readSse(res, (_d, n) => n === 5 && process.kill(before0.pid, 'SIGKILL'));
    expect(data.at(-1)).not.toBe('[DONE]');
    expect(data.at(-1)).toMatchObject({ error: { code: 'device_fault' } });
    expect(JSON.stringify(data.at(-1))).toContain('poisoned (crash)');

    expect((await neuron.waitStatus('a', 'recovering', 2000)).device).toBe('cpu-0');
    await neuron.waitStatus('a', 'loaded');
    const after0 = await device(neuron, 'cpu-0');
    expect(after0.pid).not.toBe(before0.pid);
    expect(after0).toMatchObject({ state: 'ready', restarts: 1 });
    const next = await json(`${neuron.url}/v1/chat/completions`, body('a', { max_tokens: 4 }));
    expect(next.status).toBe(200);
    expect(await device(neuron, 'cpu-1')).toMatchObject({ pid: before1.pid, restarts: 0, state: 'ready' });
    expect(await metric(neuron, /neuron_device_restarts_total\{device="cpu-0",reason="crash"\} (\d+)/)).toBe('1');
    expect(neuron.output()).toMatch(/device cpu-0 POISONED \(crash\)/);
  });

  it('an injected JavaScript error fails one request and the same worker (same pid) keeps serving', async () => {
    neuron = await twoDevices();
    const before = await device(neuron, 'cpu-0');
    const failed = await json(`${neuron.url}/v1/chat/completions`, body('a'), withFault('js_error'));
    expect(failed.status).toBe(500);
    expect(failed.body).toMatchObject({ error: { type: 'api_error', code: 'worker_error' } });
    const ok = await json(`${neuron.url}/v1/chat/completions`, body('a', { max_tokens: 3 }));
    expect(ok.status).toBe(200);
    expect(await device(neuron, 'cpu-0')).toMatchObject({ pid: before.pid, restarts: 0 });
    expect(neuron.output()).toMatch(/request failed; device cpu-0 NOT poisoned \(js\)/);
    expect(await metric(neuron, /neuron_request_failures_total\{device="cpu-0",reason="js"\} (\d+)/)).toBe('1');
  });

  it('a hang (no token for step_timeout_s) restarts the worker; a native error poisons too', async () => {
    neuron = await twoDevices();
    const before = await device(neuron, 'cpu-0');
    const started = Date.now();
    const hung = await json(`${neuron.url}/v1/chat/completions`, body('a'), withFault('hang'));
    expect(Date.now() - started).toBeGreaterThanOrEqual(2000);
    expect(hung).toMatchObject({ status: 503, body: { error: { code: 'device_fault' } } });
    expect(hung.headers.get('retry-after')).toBe('2');
    await neuron.waitStatus('a', 'loaded');
    const afterHang = await device(neuron, 'cpu-0');
    expect(afterHang.pid).not.toBe(before.pid);
    expect(await metric(neuron, /neuron_device_restarts_total\{device="cpu-0",reason="hang"\} (\d+)/)).toBe('1');

    const native = await json(`${neuron.url}/v1/chat/completions`, body('a'), withFault('native'));
    expect(native.status).toBe(503);
    await neuron.waitStatus('a', 'loaded');
    expect((await device(neuron, 'cpu-0')).pid).not.toBe(afterHang.pid);
    expect(await metric(neuron, /neuron_device_restarts_total\{device="cpu-0",reason="native_error"\} (\d+)/)).toBe(
      '1',
    );
  });

  it('tokens that make no text (a long tool call, a thought) past step_timeout_s are work, not a hang; all are counted', async () => {
    neuron = await startNeuron(
      'devices = ["cpu"]\nstep_timeout_s = 1\n[[preload]]\nid = "a"\nsource = "tiny.gguf"\ncontext_size = 8192\n',
    );
    await neuron.waitStatus('a', 'loaded');
    const before = await device(neuron, 'cpu');
    const started = Date.now();
    const res = await fetch(`${neuron.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...withFault('silent') },
      body: JSON.stringify(body('a', { stream: true, max_tokens: 3000 })),
    });
    const { data } = await readSse(res);
    const elapsed = Date.now() - started;
    const texts = data.filter(
      (d) => (d as { choices?: Array<{ delta?: { content?: string } }> }).choices?.[0]?.delta?.content,
    );
    const usage = data.find((d) => (d as { usage?: unknown }).usage) as { usage: { completion_tokens: number } };
    expect(elapsed).toBeGreaterThan(1500); // longer than step_timeout_s without a text chunk…
    expect(texts.length).toBeLessThanOrEqual(1); // …since only the first chunk made text
    expect(data.at(-1)).toBe('[DONE]');
    expect(usage.usage.completion_tokens).toBe(3000); // every generated token counted
    const after = await device(neuron, 'cpu');
    expect(after.pid).toBe(before.pid);
    expect(after.restarts).toBe(0);
    // A real hang on the same device still poisons it.
    const hung = await json(`${neuron.url}/v1/chat/completions`, body('a'), withFault('hang'));
    expect(hung).toMatchObject({ status: 503, body: { error: { code: 'device_fault' } } });
  });

  it('five crashes in two minutes mark the device failed: readiness down, its requests 503', async () => {
    neuron = await startNeuron('devices = ["cpu"]\n[[preload]]\nid = "a"\nsource = "tiny.gguf"\ncontext_size = 1024\n');
    for (let i = 0; i < 5; i++) {
      await neuron.waitStatus('a', 'loaded', 40_000);
      const r = await json(`${neuron.url}/v1/chat/completions`, body('a', { stream: false }), withFault('crash'));
      expect(r.status).toBe(503);
    }
    const failed = await until(async () => (await device(neuron!, 'cpu')).state === 'failed', 5000);
    expect(failed).toBe(true);
    expect((await neuron.waitStatus('a', 'failed', 5000)).error).toMatch(/crash/);
    expect((await fetch(`${neuron.url}/readyz`)).status).toBe(503);
    expect((await fetch(`${neuron.url}/livez`)).status).toBe(200);
    const r = await json(`${neuron.url}/v1/chat/completions`, body('a'));
    expect(r.status).toBeGreaterThanOrEqual(400);
    expect(neuron.output()).toMatch(/device cpu FAILED: 5 crashes in 2 minutes/);
  }, 90_000);

  it('SIGTERM drains: in-flight streams finish, new requests get 503 shutting_down, workers stop', async () => {
    neuron = await startNeuron(
      'devices = ["cpu"]\ndrain_timeout_s = 10\n[[preload]]\nid = "a"\nsource = "tiny.gguf"\ncontext_size = 4096\n',
    );
    await neuron.waitStatus('a', 'loaded');
    const workerPid = (await device(neuron, 'cpu')).pid;
    const res = await fetch(`${neuron.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body('a', { stream: true, max_tokens: 2500 })),
    });
    let refused: Awaited<ReturnType<typeof json>> | undefined;
    const stopped = (async () => {
      await neuron!.waitInFlight('a', 1);
      const exit = neuron!.stop('SIGTERM');
      await neuron!.waitFor(/draining 1 request/); // it took the signal: from now on it refuses
      refused = await json(`${neuron!.url}/v1/chat/completions`, body('a', { max_tokens: 1 }));
      return exit;
    })();
    const { data } = await readSse(res);
    expect(data.at(-1)).toBe('[DONE]');
    expect(refused).toMatchObject({ status: 503, body: { error: { code: 'shutting_down' } } });
    expect(refused!.headers.get('retry-after')).toBe('15');
    // Nest re-raises SIGTERM after its shutdown hooks ran: a clean exit by that signal.
    expect(await stopped).toBe('SIGTERM');
    expect(neuron.output()).toMatch(/draining 1 request/);
    expect(() => process.kill(workerPid, 0)).toThrow();
  });

  it('SIGTERM past drain_timeout_s ends a stream still running with a shutting_down error frame, not a cut', async () => {
    neuron = await startNeuron(
      'devices = ["cpu"]\ndrain_timeout_s = 1\n[[preload]]\nid = "a"\nsource = "tiny.gguf"\ncontext_size = 8192\n',
    );
    await neuron.waitStatus('a', 'loaded');
    const res = await fetch(`${neuron.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body('a', { stream: true, max_tokens: 8000 })),
    });
    const exited = (async () => {
      await neuron!.waitInFlight('a', 1);
      return neuron!.stop('SIGTERM');
    })();
    const { data } = await readSse(res); // throws if the socket is cut
    expect(data.at(-1)).toMatchObject({ error: { code: 'shutting_down' } });
    expect(data.length).toBeGreaterThan(2); // it was streaming when the drain ran out
    expect(await exited).toBe('SIGTERM');
    expect(neuron.output()).toMatch(/drain timeout: ending 1 request\(s\) with a shutting_down error/);
  });
});
