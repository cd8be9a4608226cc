/**
 * Polls every neuron concurrently (discovery once, then /models and /health each tick), each call
 * under poller.timeout_ms. A neuron turns unhealthy after `unhealthy_after` consecutive failures and
 * healthy again on the first success. The interval lives in the SchedulerRegistry.
 */
import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import type { CortexConfig } from '@app/core';
import { GATEWAY_CONFIG } from '../config/gateway.tokens';
import { FleetGauges } from '../fleet/fleet-gauges';
import { NeuronClient, UpstreamError } from '../upstream/neuron-client';
import { FleetStateService } from '../fleet/fleet-state.service';
import type { NodeState } from '../fleet/fleet.types';
import { gatewayBuild, skewOf } from '../fleet/version-skew';

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

  /** A neuron on another build than this gateway is worth one warning when it is discovered. */
  private warnSkew(node: NodeState): void {
    const its = skewOf(node);
    if (its === null) return;
    const what = its === 'unknown' ? 'an unknown build (too old to say)' : its;
    this.log.warn(`neuron ${node.name} runs ${what}; this gateway runs ${gatewayBuild()}`);
  }

  private async pollNode(node: NodeState): Promise<void> {
    const t = this.cfg.poller.timeout_ms;
    try {
      if (!node.discovered) {
        const d = await this.client.discovery(node, t);
        this.fleet.discovered(node.name, d.devices, d.build ?? null);
        this.warnSkew(node);
      }
      const [models, health] = await Promise.all([this.client.models(node, t), this.client.health(node, t)]);
      if (this.fleet.polled(node.name, models.data, health.devices, Date.now()))
        this.log.log(`neuron ${node.name} is healthy (${node.models.length} model(s))`);
      this.gauges.polled(node);
    } catch (err) {
      const why = err instanceof UpstreamError ? err.toCortexError().message : (err as Error).message;
      if (this.fleet.pollFailed(node.name, this.cfg.poller.unhealthy_after, why))
        this.log.warn(`neuron ${node.name} is UNHEALTHY after ${node.failures} failed polls: ${why}`);
      this.gauges.up(node.name, node.healthy);
    }
  }
}
