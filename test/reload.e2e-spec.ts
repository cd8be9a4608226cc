import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeNeuron, startFakeNeuron } from './fakes/fake-neuron';
import { json, type Proc, readSse, scratch, startCortex, until } from './helpers/processes';

// Hot reload: models.toml and [auth] keys change on a file change and on SIGHUP; an invalid file is
// refused with its key path and the running config stays; a stream in flight is untouched.

const MODELS = '[[models]]\nid = "chat"\nsource = "chat.gguf"\n';
const cortexToml = (neuron: string, key: string) =>
  `models_config = "models.toml"\n[gateway]\nlisten = "127.0.0.1:0"\nmetrics_listen = "127.0.0.1:0"\n` +
  `[poller]\ninterval_ms = 200\n[auth]\nrequire_auth = true\n` +
  `[[auth.keys]]\nkey = "${key}"\naccount_id = "team"\n[[neurons]]\nname = "n"\nendpoint = "${neuron}"\n`;

describe('hot reload of models.toml and [auth]', () => {
  let fake: FakeNeuron;
  let gw: Proc;
  let metricsUrl: string;
  const s = scratch('reload');
  const cfg = join(s.dir, 'cortex.toml');
  const models = join(s.dir, 'models.toml');
  const auth = (key: string) => ({ authorization: `Bearer ${key}` });
  const ids = async (key: string) =>
    (await json<{ data: Array<{ id: string }> }>(`${gw.url}/v1/models`, undefined, auth(key))).body.data?.map(
      (m) => m.id,
    );
  const reloads = async (result: string) =>
    Number(
      new RegExp(`cortex_config_reloads_total\\{result="${result}"\\} (\\d+)`).exec(
        await (await fetch(`${metricsUrl}/metrics`)).text(),
      )?.[1] ?? 0,
    );

  beforeAll(async () => {
    fake = await startFakeNeuron({ models: ['chat'], tokensPerSecond: 20 });
    writeFileSync(models, MODELS);
    writeFileSync(cfg, cortexToml(fake.url, 'sk-a'));
    gw = await startCortex(['serve', '--config', cfg]);
    metricsUrl = /metrics (http:\/\/\S+?)\/metrics/.exec(gw.output())![1]!;
  });
  afterAll(async () => {
    await gw?.stop();
    await fake?.close();
    s.cleanup();
  });

  it('applies a changed models.toml, and a stream in flight finishes untouched', async () => {
    expect(await ids('sk-a')).toEqual(['chat']);
    const stream = fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...auth('sk-a') },
      body: JSON.stringify({ model: 'chat', stream: true, max_tokens: 30, messages: [{ role: 'user', content: 'x' }] }),
    });
    await until(async () => fake.openStreams() === 1, 5000, 20);
    writeFileSync(models, `${MODELS}[aliases]\n"fast" = "chat"\n`);
    await until(async () => (await ids('sk-a'))?.includes('fast'), 5000, 50);
    expect(await reloads('applied')).toBeGreaterThanOrEqual(1);
    const { data } = await readSse(await stream);
    expect(data.at(-1)).toBe('[DONE]');
  });

  it('refuses an invalid file with its key path, and keeps the running config', async () => {
    writeFileSync(models, '[[models]]\nid = "chat"\nsource = 5\n');
    await until(async () => (await reloads('refused')) >= 1, 5000, 50);
    expect(gw.output()).toMatch(/refused, the running config stays in force:[\s\S]*models\[0\]\.source/);
    expect(await ids('sk-a')).toContain('fast');
    writeFileSync(models, MODELS);
  });

  it('swaps [auth] keys on a cortex.toml change, and reloads on SIGHUP', async () => {
    writeFileSync(cfg, cortexToml(fake.url, 'sk-b'));
    await until(async () => (await json(`${gw.url}/v1/models`, undefined, auth('sk-b'))).status === 200, 5000, 50);
    expect((await json(`${gw.url}/v1/models`, undefined, auth('sk-a'))).status).toBe(401);
    const before = await reloads('applied');
    gw.child.kill('SIGHUP');
    await until(async () => (await reloads('applied')) > before, 5000, 50);
    expect(gw.output()).toMatch(/reloaded \(SIGHUP\): 1 model\(s\), 0 alias\(es\), 1 key\(s\)/);
  });
});
