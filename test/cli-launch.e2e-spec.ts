import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeNeuron, startFakeNeuron } from './fakes/fake-neuron';
import { type GatewayHandle, startGateway } from './helpers/gateway';
import { CLI, runToEnd, scratch } from './helpers/processes';

// `cortex launch`: each agent started with the gateway, key, model and the model's real window, as
// the agent reads them. The agents here are stand-ins on PATH that print what they were given (the
// real Claude Code, Codex and opencode read exactly these variables and flags).

const s = scratch('launch');

/** A stand-in agent: prints its arguments and the environment it got, then exits with $EXIT_WITH. */
function fakeAgent(name: string): void {
  const file = join(s.dir, name);
  writeFileSync(
    file,
    `#!${process.execPath}\nconst env = Object.fromEntries(Object.entries(process.env).filter(([k]) => /^(ANTHROPIC|CLAUDE_CODE|CORTEX_API_KEY|OPENCODE)/.test(k)));\n` +
      `process.stdout.write(JSON.stringify({ agent: ${JSON.stringify(name)}, args: process.argv.slice(2), env }));\n` +
      `process.exit(Number(process.env.EXIT_WITH ?? 0));\n`,
  );
  chmodSync(file, 0o755);
}

const cortex = (args: string[], env: Record<string, string> = {}) =>
  runToEnd(process.execPath, [CLI, ...args], { env: { PATH: `${s.dir}:${process.env.PATH}`, ...env } });

describe('cortex launch', () => {
  let fake: FakeNeuron;
  let gw: GatewayHandle;

  beforeAll(async () => {
    for (const a of ['claude', 'codex', 'opencode']) fakeAgent(a);
    fake = await startFakeNeuron({ models: ['chat'] });
    gw = await startGateway({
      neurons: [{ name: 'n', url: fake.url }],
      models: '[[models]]\nid = "chat"\nsource = "chat.gguf"\ncontext_size = 8192\ncapabilities = ["text", "tools"]\n',
    });
  });
  afterAll(async () => {
    await gw?.close();
    await fake?.close();
    s.cleanup();
  });

  it('claude: the base URL, key, model, its window and compaction point, and the args after --', async () => {
    const r = await cortex(['launch', 'claude', '--endpoint', gw.url, '--key', 'sk-1', '--', '-p', 'hello']);
    expect(r.status, r.stderr).toBe(0);
    const got = JSON.parse(r.stdout) as { args: string[]; env: Record<string, string> };
    expect(got.args).toEqual(['-p', 'hello']);
    expect(got.env).toMatchObject({
      ANTHROPIC_BASE_URL: gw.url,
      ANTHROPIC_AUTH_TOKEN: 'sk-1',
      ANTHROPIC_MODEL: 'chat',
      CLAUDE_CODE_MAX_CONTEXT_TOKENS: '8192',
      CLAUDE_CODE_AUTO_COMPACT_WINDOW: '6963',
      CLAUDE_CODE_MAX_OUTPUT_TOKENS: '2048',
    });
    expect(r.stderr).toContain('claude on chat (window 8192, output 2048)');
  });

  it('codex: a cortex provider on the Responses API, with the window and the compaction limit', async () => {
    const r = await cortex(['launch', 'codex', '--endpoint', gw.url, '--model', 'chat'], { CORTEX_API_KEY: 'sk-2' });
    expect(r.status, r.stderr).toBe(0);
    const got = JSON.parse(r.stdout) as { args: string[]; env: Record<string, string> };
    const config = got.args.filter((_, i) => got.args[i - 1] === '-c');
    expect(config).toEqual(
      expect.arrayContaining([
        'model_provider="cortex"',
        `model_providers.cortex.base_url="${gw.url}/v1"`,
        'model_providers.cortex.wire_api="responses"',
        'model="chat"',
        'model_context_window=8192',
        'model_auto_compact_token_limit=6963',
      ]),
    );
    expect(got.env.CORTEX_API_KEY).toBe('sk-2');
  });

  it('opencode: a provider config with the model’s limits, in OPENCODE_CONFIG_CONTENT', async () => {
    const r = await cortex(['launch', 'opencode', '--endpoint', gw.url]);
    expect(r.status, r.stderr).toBe(0);
    const got = JSON.parse(r.stdout) as { env: Record<string, string> };
    const cfg = JSON.parse(got.env.OPENCODE_CONFIG_CONTENT!) as {
      model: string;
      provider: { cortex: { options: { baseURL: string }; models: Record<string, { limit: unknown }> } };
    };
    expect(cfg.model).toBe('cortex/chat');
    expect(cfg.provider.cortex.options.baseURL).toBe(`${gw.url}/v1`);
    expect(cfg.provider.cortex.models.chat!.limit).toEqual({ context: 8192, output: 2048 });
  });

  it('--print shows what it would run; the agent’s exit code is cortex’s; bad input is one line and exit 2', async () => {
    const printed = await cortex(['launch', 'claude', '--endpoint', gw.url, '--print']);
    expect(printed.status).toBe(0);
    expect(printed.stdout).toContain(`export ANTHROPIC_BASE_URL='${gw.url}'`);
    expect(printed.stdout.trim().split('\n').at(-1)).toBe('claude');
    const failing = await cortex(['launch', 'claude', '--endpoint', gw.url], { EXIT_WITH: '3' });
    expect(failing.status).toBe(3);
    for (const args of [
      ['launch', 'vim', '--endpoint', gw.url],
      ['launch', 'claude', '--endpoint', gw.url, '--model', 'nope'],
    ]) {
      const r = await cortex(args);
      expect(r.status).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
  });
});
