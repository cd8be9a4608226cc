/**
 * `cortex launch claude|codex|opencode [--model M] [-- agent args]`: finds the gateway, checks the
 * model, and starts the agent pointed at it with the model's real window and output limit (see
 * launch-plan.ts). `--print` shows the environment and command instead, to paste elsewhere.
 */
import { spawn } from 'node:child_process';
import { Command, Option } from 'nest-commander';
import { UsageError } from '../support/cli-error';
import { GatewayClient, type Target, endpointOf, keyOf } from '../support/gateway-client';
import { AGENTS, type Agent, type ModelInfo, launchPlan, printable } from './launch-plan';
import { GatewayCommand } from './target-options';

interface Flags extends Target {
  model?: string;
  print?: boolean;
}

interface Listed extends Partial<ModelInfo> {
  id: string;
  loaded?: boolean;
  tool_call?: boolean;
  alias_of?: string;
}

@Command({
  name: 'launch',
  arguments: '<agent> [args...]',
  description: 'start Claude Code, Codex or opencode against this gateway, told the model and its window',
})
export class LaunchCommand extends GatewayCommand {
  constructor(private readonly client: GatewayClient) {
    super();
  }

  @Option({ flags: '-m, --model <id>', description: 'the model (default: the first loaded one that calls tools)' })
  parseModel(raw: string): string {
    return raw;
  }

  @Option({ flags: '--print', description: 'print the environment and command instead of running the agent' })
  parsePrint(): boolean {
    return true;
  }

  async run([agent, ...extra]: string[], flags: Flags): Promise<void> {
    if (!AGENTS.includes(agent as Agent))
      throw new UsageError(`agent: expected one of ${AGENTS.join(', ')}, got "${agent}"`);
    const target = this.target(flags);
    const { data } = await this.client.call<{ data: Listed[] }>(target, 'GET', '/v1/models');
    const model = this.pick(data, flags.model);
    const gateway = endpointOf(target);
    // Agents insist on some key; a gateway without auth ignores this one.
    const key = keyOf(target) ?? 'cortex';
    const plan = launchPlan(agent as Agent, gateway, key, model, extra);
    if (flags.print) {
      process.stdout.write(printable(plan));
      return;
    }
    process.stderr.write(
      `cortex launch: ${plan.command} on ${model.id} (window ${model.limit.context}, output ${model.limit.output}) via ${gateway}\n`,
    );
    const child = spawn(plan.command, plan.args, { stdio: 'inherit', env: { ...process.env, ...plan.env } });
    const code = await new Promise<number>((resolve, reject) => {
      child.once('error', (err: NodeJS.ErrnoException) =>
        reject(
          err.code === 'ENOENT'
            ? new UsageError(`${plan.command} is not installed (or not on PATH); --print shows what it would get`)
            : err,
        ),
      );
      child.once('exit', (c, signal) => resolve(c ?? (signal ? 128 : 1)));
    });
    process.exitCode = code;
  }

  /** The asked model (an alias resolves), else the first loaded one that calls tools; it must know its window. */
  private pick(data: Listed[], wanted?: string): ModelInfo {
    const found = wanted
      ? data.find((m) => m.id === wanted)
      : (data.find((m) => m.loaded && m.tool_call && !m.alias_of) ?? data.find((m) => m.tool_call && !m.alias_of));
    if (!found) {
      const ids = data.map((m) => m.id).join(', ') || 'none';
      throw new UsageError(
        wanted
          ? `model "${wanted}" is not on this gateway (it has: ${ids})`
          : `no model that calls tools on this gateway (it has: ${ids})`,
      );
    }
    if (!found.limit) {
      throw new UsageError(
        `model "${found.id}" has no known window yet (not loaded, and no estimate): load it first (cortex load ${found.id})`,
      );
    }
    return { id: found.id, limit: found.limit };
  }
}
