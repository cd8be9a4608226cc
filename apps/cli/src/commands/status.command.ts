/** `cortex status`: fleet health and where every model is. */
import { Command, Option } from 'nest-commander';
import { GatewayClient, type Target } from '../gateway-client';
import { GatewayCommand } from './target-options';

interface Fleet {
  status: string;
  nodes: { healthy: number; total: number };
  eviction: string;
  neurons: Array<{
    name: string;
    healthy: boolean;
    last_error: string | null;
    devices: Array<{ id: string; state: string; vram_free_mb: number | null; vram_total_mb: number }>;
    models: Array<{
      id: string;
      status: string;
      device: string;
      in_flight: number;
      queue_depth: number;
      pinned?: boolean;
      last_used_at: string | null;
      vram_mb: number | null;
      estimated_vram_mb?: number | null;
    }>;
  }>;
}

@Command({ name: 'status', description: 'show fleet health, devices and loaded models' })
export class StatusCommand extends GatewayCommand {
  constructor(private readonly client: GatewayClient) {
    super();
  }

  async run(_args: string[], flags: Target & { json?: boolean }): Promise<void> {
    const fleet = await this.client.call<Fleet>(this.target(flags), 'GET', '/admin/fleet');
    if (flags.json) return void process.stdout.write(`${JSON.stringify(fleet, null, 2)}\n`);
    const lines = [
      `fleet: ${fleet.status} (${fleet.nodes.healthy}/${fleet.nodes.total} neurons healthy, eviction ${fleet.eviction})`,
    ];
    for (const n of fleet.neurons) {
      lines.push(`  ${n.name}: ${n.healthy ? 'healthy' : `UNHEALTHY (${n.last_error ?? 'no answer'})`}`);
      for (const d of n.devices)
        lines.push(`    device ${d.id} ${d.state} ${d.vram_free_mb ?? '?'}/${d.vram_total_mb} MB free`);
      for (const m of n.models) {
        const pin = m.pinned ? ' pinned' : '';
        const mb = m.vram_mb || m.estimated_vram_mb;
        lines.push(
          `    ${m.id.padEnd(28)} ${m.status.padEnd(10)} ${m.device} ${mb ? `${mb} MB ` : ''}in_flight=${m.in_flight} queued=${m.queue_depth}${pin}`,
        );
      }
    }
    process.stdout.write(`${lines.join('\n')}\n`);
  }

  @Option({ flags: '--json', description: 'print the raw fleet JSON' })
  parseJson(): boolean {
    return true;
  }
}
