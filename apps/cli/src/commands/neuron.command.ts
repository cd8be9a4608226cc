/** `cortex neuron --config neuron.toml`: runs this host's neuron (default port 13131). */
import { Command, CommandRunner, Option } from 'nest-commander';
import { loadApp } from '../support/app-loader';
import { UsageError } from '../support/cli-error';

interface NeuronFlags {
  config?: string;
  port?: number;
}

export function parsePort(flag: string, raw: string): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new UsageError(`${flag}: expected a port number, got "${raw}"`);
  return n;
}

@Command({ name: 'neuron', description: 'run the neuron (per-GPU-host worker) on this machine' })
export class NeuronCommand extends CommandRunner {
  async run(_args: string[], flags: NeuronFlags): Promise<void> {
    await loadApp('neuron').run({ config: flags.config, port: flags.port });
  }

  @Option({ flags: '-c, --config <file>', description: 'neuron.toml (defaults apply when omitted)' })
  parseConfig(raw: string): string {
    return raw;
  }

  @Option({ flags: '-p, --port <n>', description: 'override the port of `listen`' })
  parsePort(raw: string): number {
    return parsePort('--port', raw);
  }
}
