/**
 * `cortex status`: fleet health and where every model is, with load progress. Exit code 0 when the
 * fleet is ok, 1 when it is impaired or degraded, 2 when the gateway cannot be reached. `--watch`
 * redraws every few seconds until Ctrl-C. Colour only on a terminal.
 */
import { Command, Option } from 'nest-commander';
import { UsageError } from '../support/cli-error';
import { GatewayClient, type Target } from '../support/gateway-client';
import { GatewayCommand } from './target-options';

export interface Fleet {
  status: string;
  nodes: { healthy: number; total: number };
  eviction: string;
  /** The gateway's build, and the neurons' builds that differ from it (older gateways send neither). */
  version?: string;
  version_skew?: string[];
  neurons: Array<{
    name: string;
    healthy: boolean;
    version?: string | null;
    last_error: string | null;
    devices: Array<{
      id: string;
      state: string;
      vram_free_mb: number | null;
      vram_total_mb: number;
      group?: string | null;
    }>;
    models: Array<{
      id: string;
      status: string;
      load_progress?: number;
      device: string;
      in_flight: number;
      queue_depth: number;
      pinned?: boolean;
      last_used_at: string | null;
      vram_mb: number | null;
      estimated_vram_mb?: number | null;
      servable?: { ok: boolean; reason?: string; detail?: string };
    }>;
  }>;
}

@Command({ name: 'status', description: 'show fleet health, devices and loaded models' })
export class StatusCommand extends GatewayCommand {
  constructor(private readonly client: GatewayClient) {
    super();
  }

  async run(_args: string[], flags: Target & { json?: boolean; watch?: number }): Promise<void> {
    if (flags.watch === undefined) return this.once(flags);
    const tty = process.stdout.isTTY;
    for (;;) {
      const text = await this.render(flags).catch((err: Error) => `cortex: ${err.message}\n`);
      // On a terminal, redraw in place; elsewhere (a log), one block per tick.
      process.stdout.write(tty ? `\x1b[H\x1b[2J${text}` : `${text}\n`);
      await new Promise((r) => setTimeout(r, flags.watch! * 1000));
    }
  }

  private async once(flags: Target & { json?: boolean }): Promise<void> {
    const fleet = await this.client.call<Fleet>(this.target(flags), 'GET', '/admin/fleet');
    if (flags.json) process.stdout.write(`${JSON.stringify(fleet, null, 2)}\n`);
    else process.stdout.write(format(fleet, process.stdout.isTTY));
    if (fleet.status !== 'ok') process.exitCode = 1;
  }

  private async render(flags: Target): Promise<string> {
    const fleet = await this.client.call<Fleet>(this.target(flags), 'GET', '/admin/fleet');
    return `${new Date().toLocaleTimeString()}  ${format(fleet, process.stdout.isTTY)}`;
  }

  @Option({ flags: '-w, --watch [seconds]', description: 'redraw every few seconds (default 2) until Ctrl-C' })
  parseWatch(raw: string | boolean): number {
    const s = typeof raw === 'string' ? Number(raw) : 2;
    if (!Number.isFinite(s) || s <= 0) throw new UsageError(`--watch: expected a number of seconds > 0, got ${raw}`);
    return s;
  }

  @Option({ flags: '--json', description: 'print the raw fleet JSON' })
  parseJson(): boolean {
    return true;
  }
}

const paint = (on: boolean, code: number) => (text: string) => (on ? `\x1b[${code}m${text}\x1b[0m` : text);

/** The fleet as text; colour (green ok, yellow loading, red trouble) only on a terminal. */
export function format(fleet: Fleet, colour = false): string {
  const green = paint(colour, 32);
  const yellow = paint(colour, 33);
  const red = paint(colour, 31);
  const state = (s: string, text = s) =>
    s === 'ok' || s === 'loaded' || s === 'ready' ? green(text) : s === 'loading' ? yellow(text) : red(text);
  const lines = [
    `fleet: ${state(fleet.status)} (${fleet.nodes.healthy}/${fleet.nodes.total} neurons healthy, eviction ${fleet.eviction}${fleet.version ? `, gateway ${fleet.version}` : ''})`,
  ];
  for (const skew of fleet.version_skew ?? []) lines.push(`  ${yellow(`version skew: ${skew}`)}`);
  for (const n of fleet.neurons) {
    const health = n.healthy ? green('healthy') : red(`UNHEALTHY (${n.last_error ?? 'no answer'})`);
    lines.push(`  ${n.name}: ${health}${n.version ? ` ${n.version}` : ''}`);
    for (const d of n.devices)
      lines.push(
        `    device ${d.id} ${state(d.state)} ${d.vram_free_mb ?? '?'}/${d.vram_total_mb} MB free${d.group ? ` (group ${d.group})` : ''}`,
      );
    for (const m of n.models) {
      const pin = `${m.pinned ? ' pinned' : ''}${m.servable?.ok === false ? ` ${red(`UNSERVABLE (${m.servable.reason}: ${m.servable.detail ?? ''})`)}` : ''}`;
      const mb = m.vram_mb || m.estimated_vram_mb;
      const plain =
        m.status === 'loading' && m.load_progress !== undefined
          ? `loading ${Math.round(m.load_progress * 100)}%`
          : m.status;
      const status = state(m.status, plain.padEnd(12));
      lines.push(
        `    ${m.id.padEnd(28)} ${status} ${m.device} ${mb ? `${mb} MB ` : ''}in_flight=${m.in_flight} queued=${m.queue_depth}${pin}`,
      );
    }
  }
  return `${lines.join('\n')}\n`;
}
