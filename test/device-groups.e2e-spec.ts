/**
 * Device groups on one real neuron with three CPU pseudo-devices (1,000, 1,000 and 600 MB): a `min_devices = 2`
 * model is cold-loaded by the gateway onto one worker owning two devices, the third still serves a
 * one-device model, kill -9 of the group's worker poisons its two devices and only those, the group
 * recovers with its model, unloading it gives the devices their own workers back, and placement
 * refuses, with the reason, what no node can hold. On CPU a "split" is one process holding the model.
 */
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GatewayHandle, startGateway } from './helpers/gateway';
import { type NeuronHandle, startNeuron } from './helpers/neuron';
import { CLI, json, until } from './helpers/processes';

interface Device {
  id: string;
  state: string;
  group: string | null;
  pid: number | null;
  models: string[];
}

const catalogue = [
  ['big', 'min_devices = 2\nvram_mb = 1500'],
  ['one', 'vram_mb = 100'],
  ['huge', 'min_devices = 4\nvram_mb = 100'],
  ['floor', 'min_devices = 2\nmin_device_vram_mb = 2000\nvram_mb = 100'],
]
  .map(([id, extra]) => `[[models]]\nid = "${id}"\nsource = "tiny.gguf"\ncontext_size = 256\n${extra}\n`)
  .join('\n');

describe('device groups: min_devices = 2 on three CPU pseudo-devices', () => {
  let neuron: NeuronHandle;
  let gw: GatewayHandle;

  beforeAll(async () => {
    neuron = await startNeuron('devices = ["cpu", "cpu", "cpu"]\ncpu_memory_mb = [1000, 1000, 600]\n');
    gw = await startGateway({ neurons: [{ name: 'n', url: neuron.url }], models: catalogue });
  }, 120_000);

  afterAll(async () => {
    await gw?.close();
    await neuron?.close();
  });

  const devices = async () => (await neuron.health()).devices as unknown as Device[];
  const chat = (model: string) =>
    json(`${gw.url}/v1/chat/completions`, { model, max_tokens: 3, messages: [{ role: 'user', content: 'hi' }] });

  it('cold-loads the model onto one worker owning two devices', async () => {
    expect((await chat('big')).status).toBe(200);
    const models = await json<{ data: Array<{ id: string; device: string; devices?: string[] }> }>(
      `${neuron.url}/models`,
    );
    const big = models.body.data.find((m) => m.id === 'big')!;
    expect(big.devices).toEqual(['cpu-0', 'cpu-1']); // 1,500 MB: the two 1,000 MB devices, not the 600 MB one
    expect(big.device).toBe('cpu-0+cpu-1');
    const ds = await devices();
    const grouped = ds.filter((d) => d.group === big.device);
    expect(grouped.map((d) => d.id).sort()).toEqual([...big.devices!].sort());
    expect(new Set(grouped.map((d) => d.pid)).size).toBe(1); // one worker
    expect(grouped.every((d) => d.models.includes('big'))).toBe(true);
  });

  it('the third device still serves a one-device model', async () => {
    expect((await chat('one')).status).toBe(200);
    const third = (await devices()).find((d) => d.group === null)!;
    expect(third.models).toEqual(['one']);
  });

  it('kill -9 of the group worker poisons both of its devices, and only those; the group recovers', async () => {
    const before = await devices();
    const grouped = before.filter((d) => d.group);
    const other = before.find((d) => !d.group)!;
    process.kill(grouped[0]!.pid!, 'SIGKILL');
    const during = await until(
      async () => {
        const ds = await devices();
        return ds.filter((d) => d.group).every((d) => d.state === 'recovering') && ds;
      },
      5000,
      20,
    );
    expect(during.find((d) => d.id === other.id)).toMatchObject({ state: 'ready', pid: other.pid });
    await neuron.waitStatus('big', 'loaded', 30_000);
    const after = await devices();
    const regrouped = after.filter((d) => d.group);
    expect(regrouped.every((d) => d.state === 'ready' && d.pid !== grouped[0]!.pid)).toBe(true);
    expect(after.find((d) => d.id === other.id)!.pid).toBe(other.pid);
    // The gateway says 503 model_recovering (Retry-After 2) until its next poll sees it loaded again.
    await until(async () => (await chat('big')).status === 200, 10_000, 200);
    expect((await chat('one')).status).toBe(200);
  });

  it('cortex status shows the group', () => {
    const out = execFileSync(process.execPath, [CLI, 'status', '--endpoint', gw.url], { encoding: 'utf8' });
    expect(out).toMatch(/device cpu-\d ready .*\(group cpu-\d\+cpu-\d\)/);
  });

  it('refuses, with the reason, a model no node has enough devices for', async () => {
    const huge = await chat('huge');
    expect(huge.status).toBe(404);
    expect(JSON.stringify(huge.body)).toContain('n: 3 usable device(s), min_devices is 4');
    const floor = await chat('floor');
    expect(floor.status).toBe(404);
    expect(JSON.stringify(floor.body)).toContain('n: 0 device(s) with at least 2000 MB (min_device_vram_mb), needs 2');
  });

  it('unloading the group’s last model gives its devices their own workers back', async () => {
    const unloaded = await json(`${gw.url}/admin/models/unload`, { model: 'big' });
    expect(unloaded.status).toBe(200);
    const ds = await until(async () => {
      const list = await devices();
      return list.every((d) => d.group === null && d.state === 'ready') && list;
    }, 20_000);
    expect(new Set(ds.map((d) => d.pid)).size).toBe(3);
  });
});
