import { execFileSync, spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeNeuron, startFakeNeuron } from './fakes/fake-neuron';
import { type GatewayHandle, startGateway } from './helpers/gateway';
import { CLI, runToEnd, until } from './helpers/processes';

// `cortex status`: exit codes as documented (0 ok, 1 impaired or degraded, 2 unreachable), --watch,
// and `cortex load` printing only its result when stderr is not a terminal.

/** Runs the CLI without blocking this process (the fake neuron answers from it). */
const cortex = (url: string, ...args: string[]) => runToEnd(process.execPath, [CLI, ...args, '--endpoint', url]);

describe('cortex status and load', () => {
  let fake: FakeNeuron;
  let ok: GatewayHandle;
  let impaired: GatewayHandle;

  beforeAll(async () => {
    fake = await startFakeNeuron({ models: ['chat'], loadMs: 300 });
    const models =
      '[[models]]\nid = "chat"\nsource = "chat.gguf"\n[[models]]\nid = "other"\nsource = "o.gguf"\nvram_mb = 1\n';
    [ok, impaired] = await Promise.all([
      startGateway({ neurons: [{ name: 'n', url: fake.url }], models }),
      startGateway({
        neurons: [
          { name: 'n', url: fake.url },
          { name: 'gone', url: 'http://127.0.0.1:9' },
        ],
        models,
      }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([ok?.close(), impaired?.close()]);
    await fake?.close();
  });

  it('exits 0 when the fleet is ok, 1 when it is impaired, 2 when the gateway is unreachable', async () => {
    const healthy = await cortex(ok.url, 'status');
    expect(healthy.status, healthy.stderr).toBe(0);
    expect(healthy.stdout).toMatch(/^fleet: ok/);
    // The gateway names its build; the fake neuron names none, which is skew worth a line.
    const sha = execFileSync('git', ['rev-parse', 'HEAD']).toString().trim().slice(0, 12);
    expect(healthy.stdout).toMatch(new RegExp(`^fleet: ok \\(.*gateway 0\\.1\\.0\\+${sha}(-dirty)?\\)$`, 'm'));
    expect(healthy.stdout).toMatch(/^ {2}version skew: n: unknown \(gateway: 0\.1\.0\+/m);
    const version = (await (await fetch(`${ok.url}/version`)).json()) as Record<string, unknown>;
    expect(version).toMatchObject({ name: 'cortex', version: '0.1.0', node_llama_cpp: '3.21.1' });
    expect(String(version.git_sha)).toMatch(new RegExp(`^${sha}`));
    expect(healthy.stdout).not.toContain('\x1b['); // no colour off a terminal
    await until(
      async () => (await cortex(impaired.url, 'status', '--json')).stdout.includes('"impaired"'),
      10_000,
      200,
    );
    const part = await cortex(impaired.url, 'status');
    expect(part.status).toBe(1);
    expect(part.stdout).toMatch(/gone: UNHEALTHY/);
    const down = await cortex('http://127.0.0.1:9', 'status');
    expect(down.status).toBe(2);
    expect(down.stderr).toMatch(/cannot reach the gateway/);
  });

  it('--watch redraws until stopped', async () => {
    const child = spawn(process.execPath, [CLI, 'status', '--watch', '0.2', '--endpoint', ok.url]);
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    await until(async () => out.split('fleet: ok').length > 3, 10_000, 50);
    child.kill('SIGINT');
  });

  it('load prints only its result when stderr is not a terminal', async () => {
    const r = await cortex(ok.url, 'load', 'other');
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ model: 'other', node: 'n', cold_start: true });
    expect(r.stderr).toBe('');
  });

  it('usage: what the answers’ usage said, per account, key, model and day, as a table or JSON', async () => {
    const since = new Date().toISOString().slice(0, 10);
    for (const max of [3, 4]) {
      const res = await fetch(`${ok.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'chat', max_tokens: max, messages: [{ role: 'user', content: 'hi' }] }),
      });
      expect(res.status).toBe(200);
    }
    const json = await cortex(ok.url, 'usage', '--json', '--since', since);
    expect(json.status, json.stderr).toBe(0);
    const report = JSON.parse(json.stdout) as { data: Array<Record<string, unknown>>; since: string };
    expect(report.since).toBe(since);
    // The fake neuron answers 5 prompt tokens and max_tokens completion tokens.
    expect(report.data.find((r) => r.model === 'chat')).toMatchObject({
      account: 'anonymous',
      requests: 2,
      prompt_tokens: 10,
      completion_tokens: 7,
      errors: 0,
    });
    const table = await cortex(ok.url, 'usage');
    expect(table.status, table.stderr).toBe(0);
    expect(table.stdout).toMatch(
      /^day +account +key +model +requests +prompt +cached +completion +reasoning +errors$/m,
    );
    expect(table.stdout).toMatch(new RegExp(`^${since} +anonymous +anonymous +chat +2 +10 +0 +7 +0 +0$`, 'm'));
    expect(table.stdout).toMatch(/^total +2 +10 +0 +7 +0 +0$/m);
    const bad = await cortex(ok.url, 'usage', '--since', 'last week');
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toMatch(/--since: expected a UTC day as YYYY-MM-DD/);
  });
});
