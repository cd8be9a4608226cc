/**
 * `cortex check gateway|neuron [--config FILE] [--json] [--no-port-check]`: validates a config the
 * way `serve` / `neuron` would load it, before a restart (like `nginx -t`). Exit 0 valid, 1 invalid
 * (every problem listed with its key path), 2 unreadable.
 */
import { Command, CommandRunner, Option } from 'nest-commander';
import { UsageError } from '../support/cli-error';
import { checkGateway, checkNeuron, exitCodeOf, formatReport } from '../check/config-check';

interface CheckFlags {
  config?: string;
  json?: boolean;
  portCheck?: boolean;
}

@Command({
  name: 'check',
  arguments: '<app>',
  description: 'validate a gateway or neuron config (and its catalogue, sources and ports) without starting it',
})
export class CheckCommand extends CommandRunner {
  async run([app]: string[], flags: CheckFlags): Promise<void> {
    if (app !== 'gateway' && app !== 'neuron')
      throw new UsageError(`check: expected "gateway" or "neuron", got "${app}"`);
    const opts = { ports: flags.portCheck !== false };
    const report =
      app === 'gateway'
        ? await checkGateway(flags.config ?? 'cortex.toml', opts)
        : await checkNeuron(flags.config, opts);
    process.stdout.write(flags.json ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report));
    process.exitCode = exitCodeOf(report);
  }

  @Option({ flags: '-c, --config <file>', description: 'cortex.toml (gateway, default ./cortex.toml) or neuron.toml' })
  parseConfig(raw: string): string {
    return raw;
  }

  @Option({ flags: '--json', description: 'print the report as JSON' })
  parseJson(): boolean {
    return true;
  }

  @Option({ flags: '--no-port-check', description: 'do not check that the listen ports are free' })
  parsePortCheck(): boolean {
    return false;
  }
}
