import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ANSWER, ARGS, FAMILIES, TEXTS, TOOL } from './helpers/families';
import { type GatewayHandle, startGateway } from './helpers/gateway';
import { type NeuronHandle, startNeuron } from './helpers/neuron';
import { clientPackages, REPO_ROOT, tokenizerDir } from './helpers/package-cache';
import { CLI, json, runToEnd } from './helpers/processes';

// The clients users point at cortex, installed from npm at test time (pinned, never dependencies)
// and run as their users run them, each in its own process, against a real gateway and neuron:
// - the SDKs run a whole tool loop on a scripted Qwen3 model (real tokenizer and template) that
//   thinks, calls get_weather, and answers once the tool's "sunny" is in the prompt — driven by the
//   small scripts in test/clients/, through every provider and API each SDK offers, streamed and not;
// - Claude Code, Codex and opencode are started by `cortex launch` on a scripted model that greets,
//   and must print its greeting (through their own system prompts, tools and request shapes).

const KEY = 'sk-clients';
const GREETING = 'Hello from cortex.';
const QWEN3 = FAMILIES.find((f) => f.id === 'qwen3')!;

interface DriverResult {
  text: string;
  streamed?: string;
  reasoning?: string;
  calls: Array<{ name: string; input: unknown }>;
  executed: unknown[];
  steps: number;
  outputTokens: number;
}

describe('real clients against cortex', () => {
  let packages: string;
  let neuron: NeuronHandle;
  let gw: GatewayHandle;
  let home: string;

  beforeAll(async () => {
    packages = clientPackages();
    // The drivers import the clients by name: they run from inside the install.
    const drivers = join(packages, 'drivers');
    mkdirSync(drivers, { recursive: true });
    for (const f of readdirSync(join(REPO_ROOT, 'test/clients'))) {
      copyFileSync(join(REPO_ROOT, 'test/clients', f), join(drivers, f));
    }
    neuron = await startNeuron('devices = ["cpu"]\n', { models: [] });
    const scripts = {
      weather: { script: QWEN3.script(TEXTS), context: '8192' },
      hello: {
        script: { promptTail: ['<|im_start|>', 'assistant', 'Ċ'], script: [GREETING, '<|im_end|>'] },
        context: '131072',
      },
    };
    for (const [id, s] of Object.entries(scripts)) {
      const file = join(neuron.dir, `${id}.json`);
      writeFileSync(file, JSON.stringify(s.script));
      const made = await runToEnd(
        process.execPath,
        [CLI, 'make-model', '--script', file, '--tokenizer', tokenizerDir(QWEN3.pkg), '--arch', 'qwen3'].concat([
          '--name',
          id,
          '--context',
          s.context,
          '--out',
          join(neuron.modelsDir, `${id}.gguf`),
        ]),
        { cwd: REPO_ROOT },
      );
      expect(made.status, made.stderr).toBe(0);
    }
    gw = await startGateway({
      neurons: [{ name: 'n', url: neuron.url }],
      models: Object.keys(scripts)
        .map((id) => `[[models]]\nid = "${id}"\nsource = "${id}.gguf"\n`)
        .join(''),
      extra: `[auth]\nrequire_auth = true\n[[auth.keys]]\nkey = "${KEY}"\naccount_id = "team"\n`,
    });
    for (const id of Object.keys(scripts)) {
      expect((await json(`${gw.url}/admin/models/load`, { model: id })).status).toBe(200);
    }
    // The agents write sessions, caches and settings under HOME: never the user's own.
    home = mkdtempSync(join(tmpdir(), 'cortex-agents-home-'));
  }, 600_000);
  afterAll(async () => {
    await gw?.close();
    await neuron?.close();
    if (home) rmSync(home, { recursive: true, force: true });
  });

  const driver = async (script: string, ...args: string[]): Promise<DriverResult> => {
    const env = { CORTEX_URL: gw.url, CORTEX_KEY: KEY, CORTEX_MODEL: 'weather' };
    const r = await runToEnd(process.execPath, [join(packages, 'drivers', script), ...args], { env, cwd: packages });
    expect(r.status, `${script} ${args.join(' ')}:\n${r.stderr}\n${r.stdout}`).toBe(0);
    return JSON.parse(r.stdout.trim().split('\n').pop()!) as DriverResult;
  };

  /** What every tool loop must end with: one call of get_weather({city: "Paris"}), run once, then the answer. */
  const expectToolLoop = (r: DriverResult, stream: boolean) => {
    expect(r.calls).toEqual([{ name: TOOL.name, input: ARGS }]);
    expect(r.executed).toEqual([ARGS]);
    expect(r.steps).toBe(2);
    expect(r.text).toBe(ANSWER); // exactly: no blank line left by the thought
    if (stream) expect(r.streamed ?? r.text).toBe(ANSWER);
    expect(r.outputTokens).toBeGreaterThan(0);
  };

  const modes = [false, true];

  describe.each(['responses', 'compatible', 'anthropic'])('AI SDK 7, %s provider', (provider) => {
    it.each(modes)('multi-step tool loop (stream %s)', async (stream) => {
      // `responses` is @ai-sdk/openai's default: it stores responses and sends item_reference
      // items for the stored reasoning and call in its second step.
      const r = await driver('ai-sdk.mjs', provider, stream ? 'stream' : 'generate');
      expectToolLoop(r, stream);
      // Its Responses and chat providers read the thought back; the Anthropic one asks for none.
      if (provider !== 'anthropic') expect(r.reasoning).toContain(TEXTS.thought);
    });
  });

  describe.each(['responses', 'chat_completions'])('OpenAI Agents SDK over %s', (api) => {
    it.each(modes)('an agent with a function tool runs to its final output (stream %s)', async (stream) => {
      expectToolLoop(await driver('openai-agents.mjs', api, stream ? 'stream' : 'generate'), stream);
    });
  });

  describe.each(['chat', 'responses', 'anthropic'])('LangChain.js, %s', (kind) => {
    it.each(modes)('bound tool, the loop LangChain documents (stream %s)', async (stream) => {
      expectToolLoop(await driver('langchain.mjs', kind, stream ? 'stream' : 'generate'), stream);
    });
  });

  /** `cortex launch <agent> --model hello -- args`, with the agents' binaries first on PATH. */
  const launch = (agent: string, args: string[]) =>
    runToEnd(
      process.execPath,
      [CLI, 'launch', agent, '--model', 'hello', '--endpoint', gw.url, '--key', KEY, '--', ...args],
      {
        env: {
          PATH: `${join(packages, 'node_modules/.bin')}:${process.env.PATH}`,
          HOME: home,
          // Keeps Claude Code from phoning home for telemetry and updates (unreachable here).
          CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
        },
        cwd: home,
        timeoutMs: 240_000,
      },
    );

  it('Claude Code, started by cortex launch, answers through the gateway and knows the window', async () => {
    const r = await launch('claude', ['-p', 'Say hello', '--output-format', 'json']);
    expect(r.status, r.stderr + r.stdout).toBe(0);
    const out = JSON.parse(r.stdout.trim().split('\n').pop()!) as {
      result: string;
      is_error: boolean;
      modelUsage: Record<string, { contextWindow: number; inputTokens: number }>;
    };
    expect(out.is_error).toBe(false);
    expect(out.result).toBe(GREETING);
    const { body } = await json<{ data: Array<{ id: string; limit: { context: number } }> }>(
      `${gw.url}/v1/models`,
      undefined,
      {
        authorization: `Bearer ${KEY}`,
      },
    );
    // Told by cortex launch: the model's real window, not the 200k it assumes for names it does not know.
    expect(out.modelUsage.hello!.contextWindow).toBe(body.data.find((m) => m.id === 'hello')!.limit.context);
    expect(out.modelUsage.hello!.inputTokens).toBeGreaterThan(5_000); // its real system prompt and tools
  }, 300_000);

  it('Codex, started by cortex launch, answers over Responses without a config warning', async () => {
    const r = await launch('codex', ['exec', '--skip-git-repo-check', 'Say hello']);
    expect(r.status, r.stderr + r.stdout).toBe(0);
    expect(r.stdout.trim().split('\n').pop()).toBe(GREETING);
    expect(r.stderr).not.toMatch(/unrecognized configuration|is ignored/);
  }, 300_000);

  it('opencode, started by cortex launch, answers through its openai-compatible provider', async () => {
    const r = await launch('opencode', ['run', 'Say hello']);
    expect(r.status, r.stderr + r.stdout).toBe(0);
    expect(r.stdout).toContain(GREETING);
  }, 300_000);
});
