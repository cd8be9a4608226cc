/** `cortex models`: the merged catalogue — every model, where it is loaded, where it could go. */
import { Command } from 'nest-commander';
import { GatewayClient, type Target } from '../support/gateway-client';
import { GatewayCommand } from './target-options';

interface ModelRow {
  id: string;
  loaded: boolean;
  alias_of?: string;
  feasible_on: string[];
  locations: Array<{ node: string; status: string }>;
  vram_mb: number | null;
  vram_source: 'config' | 'estimate' | null;
}

@Command({ name: 'models', description: 'list catalogue models, their locations and aliases' })
export class ModelsCommand extends GatewayCommand {
  constructor(private readonly client: GatewayClient) {
    super();
  }

  async run(_args: string[], flags: Target): Promise<void> {
    const { data } = await this.client.call<{ data: ModelRow[] }>(this.target(flags), 'GET', '/v1/models');
    const lines = data.map((m) => {
      const where =
        m.locations.map((l) => `${l.node}(${l.status})`).join(',') ||
        `not loaded; fits ${m.feasible_on.join(',') || 'nowhere'}`;
      const size = m.vram_mb === null ? '?' : `${m.vram_source === 'estimate' ? '~' : ''}${m.vram_mb} MB`;
      return `  ${m.id.padEnd(32)} ${size.padStart(9)}  ${m.alias_of ? `→ ${m.alias_of}` : where}`;
    });
    process.stdout.write(`${lines.join('\n')}\n`);
  }
}
