/**
 * Polls every neuron concurrently (discovery once, then /models and /health each tick), each call
 * under poller.timeout_ms. A neuron turns unhealthy after `unhealthy_after` consecutive failures and
 * healthy again on the first success. The interval lives in the SchedulerRegistry.
 */
import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import type { CortexConfig } from '@app/core';
import { GATEWAY_CONFIG } from '../gateway.tokens';
import { FleetGauges } from '../metrics/fleet-gauges';
import { NeuronClient, UpstreamError } from '../upstream/neuron-client';
import { FleetStateService } from './fleet-state.service';
import type { NodeState } from './fleet.types';

@Injectable()
export class PollerService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly log = new Logger('Poller');
  private running: Promise<void> | null = null;

  constructor(
    @Inject(GATEWAY_CONFIG) private readonly cfg: CortexConfig,
    private readonly fleet: FleetStateService,
    private readonly client: NeuronClient,
    private readonly scheduler: SchedulerRegistry,
    private readonly gauges: FleetGauges,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.pollOnce();
    this.scheduler.addInterval(
      'poll-neurons',
      setInterval(() => void this.tick(), this.cfg.poller.interval_ms),
    );
  }

  onModuleDestroy(): void {
    if (this.scheduler.doesExist('interval', 'poll-neurons')) this.scheduler.deleteInterval('poll-neurons');
  }

  /** Skips a tick while the previous poll is still running (setInterval does not wait). */
  private tick(): Promise<void> {
    return this.running ?? this.pollOnce();
  }

  pollOnce(): Promise<void> {
    const started = performance.now();
    this.running = Promise.all(this.fleet.all().map((n) => this.pollNode(n))).then(() => {
      this.running = null;
      this.gauges.cycle((performance.now() - started) / 1000);
    });
    return this.running;
  }

  private async pollNode(node: NodeState): Promise<void> {
    const t = this.cfg.poller.timeout_ms;
    try {
      if (!node.discovered) {
        const d = await this.client.discovery(node, t);
        node.devices = d.devices.map((x) => ({ ...x, state: 'ready', vram_free_mb: null }));
        node.discovered = true;
      }
      const [models, health] = await Promise.all([this.client.models(node, t), this.client.health(node, t)]);
      this.fleet.setModels(node.name, models.data);
      node.devices = health.devices;
      if (!node.healthy) this.log.log(`neuron ${node.name} is healthy (${node.models.length} model(s))`);
      node.healthy = true;
      node.failures = 0;
      node.lastError = null;
      node.lastPollAt = Date.now();
      this.gauges.polled(node);
    } catch (err) {
      node.failures++;
      node.lastError = err instanceof UpstreamError ? err.toCortexError().message : (err as Error).message;
      if (node.healthy && node.failures >= this.cfg.poller.unhealthy_after) {
        node.healthy = false;
        this.log.warn(`neuron ${node.name} is UNHEALTHY after ${node.failures} failed polls: ${node.lastError}`);
      }
      this.gauges.up(node.name, node.healthy);
    }
  }
}
