/**
 * How each coding agent is pointed at cortex: its base URL, key and model, the model's real window
 * (so it compacts in time: at about 85% of `limit.context`), and its output limit — through the
 * environment variables and flags each agent reads, never by editing its global config.
 */
export const AGENTS = ['claude', 'codex', 'opencode'] as const;
export type Agent = (typeof AGENTS)[number];

export interface ModelInfo {
  id: string;
  limit: { context: number; output: number };
}

export interface LaunchPlan {
  command: string;
  args: string[];
  env: Record<string, string>;
}

/** Where agents compact: about 85% of the window the model really serves. */
export const compactAt = (context: number) => Math.floor(context * 0.85);

/** `base`: the gateway's URL, without a trailing slash (gateway-client's endpointOf). */
export function launchPlan(agent: Agent, base: string, key: string, m: ModelInfo, extra: string[]): LaunchPlan {
  const { context, output } = m.limit;
  switch (agent) {
    case 'claude':
      return {
        command: 'claude',
        args: extra,
        env: {
          ANTHROPIC_BASE_URL: base,
          ANTHROPIC_AUTH_TOKEN: key,
          ANTHROPIC_MODEL: m.id,
          ANTHROPIC_DEFAULT_HAIKU_MODEL: m.id,
          ANTHROPIC_SMALL_FAST_MODEL: m.id,
          CLAUDE_CODE_MAX_CONTEXT_TOKENS: String(context),
          CLAUDE_CODE_AUTO_COMPACT_WINDOW: String(compactAt(context)),
          CLAUDE_CODE_MAX_OUTPUT_TOKENS: String(output),
          CLAUDE_CODE_ENABLE_GATEWAY_MODEL_DISCOVERY: '1',
        },
      };
    case 'codex':
      return {
        command: 'codex',
        args: [
          ...[
            'model_provider="cortex"',
            'model_providers.cortex.name="cortex"',
            `model_providers.cortex.base_url="${base}/v1"`,
            'model_providers.cortex.env_key="CORTEX_API_KEY"',
            'model_providers.cortex.wire_api="responses"',
            `model="${m.id}"`,
            `model_context_window=${context}`,
            `model_auto_compact_token_limit=${compactAt(context)}`,
            // No output limit: Codex has no such setting (0.169 warns that `model_max_output_tokens`
            // is ignored) and leaves max_output_tokens to the server.
          ].flatMap((c) => ['-c', c]),
          ...extra,
        ],
        env: { CORTEX_API_KEY: key },
      };
    case 'opencode': {
      const config = {
        $schema: 'https://opencode.ai/config.json',
        provider: {
          cortex: {
            npm: '@ai-sdk/openai-compatible',
            name: 'cortex',
            options: { baseURL: `${base}/v1`, apiKey: key },
            models: { [m.id]: { name: m.id, tool_call: true, limit: { context, output } } },
          },
        },
        model: `cortex/${m.id}`,
        compaction: { auto: true },
      };
      return { command: 'opencode', args: extra, env: { OPENCODE_CONFIG_CONTENT: JSON.stringify(config) } };
    }
  }
}

/** The plan as shell lines to paste elsewhere. */
export function printable(plan: LaunchPlan): string {
  const quote = (v: string) => `'${v.replace(/'/g, `'\\''`)}'`;
  const env = Object.entries(plan.env).map(([k, v]) => `export ${k}=${quote(v)}`);
  return [...env, [plan.command, ...plan.args.map(quote)].join(' ')].join('\n') + '\n';
}
