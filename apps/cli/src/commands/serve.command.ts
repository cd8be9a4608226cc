/** `cortex serve --config cortex.toml`: the gateway (API :31313, Prometheus :31314). */
import { Command, CommandRunner, Option } from 'nest-commander';
import { loadApp } from '../support/app-loader';
import { parsePort } from './neuron.command';

interface ServeFlags {
  config?: string;
  port?: number;
  metricsPort?: number;
}

@Command({ name: 'serve', description: 'run the gateway (OpenAI + Anthropic API for the fleet)' })
export class ServeCommand extends CommandRunner {
  async run(_args: string[], flags: ServeFlags): Promise<void> {
    await loadApp('gateway').run({
      config: flags.config ?? 'cortex.toml',
      port: flags.port,
      metricsPort: flags.metricsPort,
    });
  }

  @Option({ flags: '-c, --config <file>', description: 'cortex.toml (default ./cortex.toml)' })
  parseConfig(raw: string): string {
    return raw;
  }

  @Option({ flags: '-p, --port <n>', description: 'override the API port' })
  parsePort(raw: string): number {
    return parsePort('--port', raw);
  }

  @Option({ flags: '--metrics-port <n>', description: 'override the metrics port' })
  parseMetricsPort(raw: string): number {
    return parsePort('--metrics-port', raw);
  }
}
