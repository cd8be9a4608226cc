/**
 * Public endpoints: `HEAD /` and `GET /` (Claude Code probes HEAD / first; browsers get the fleet
 * page, whose data comes from the admin API), GET /version (the build), GET /health (fleet
 * summary: ok / impaired / degraded, always 200), and terminus probes /livez and /readyz (ready
 * when at least one neuron is healthy and the gateway is not draining).
 */
import { Controller, Get, Head, Headers, HttpCode, Inject, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { HealthCheck, HealthCheckService, HealthIndicatorService } from '@nestjs/terminus';
import { CORTEX_VERSION, type CortexConfig, type VersionResponse, buildInfo } from '@app/core';
import { fleetSummary } from '../page/fleet-view';
import { GATEWAY_CONFIG } from '../config/gateway.tokens';
import { DrainService } from '../lifecycle/drain.service';
import { fleetPage } from '../page/fleet-page';
import { FleetStateService } from '../fleet/fleet-state.service';

@Controller()
export class HealthController {
  constructor(
    @Inject(GATEWAY_CONFIG) private readonly cfg: CortexConfig,
    private readonly fleet: FleetStateService,
    private readonly drain: DrainService,
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
  ) {}

  @Head()
  @HttpCode(200)
  probe(): void {}

  /** Browsers (Accept: text/html) get the fleet page; API clients keep their JSON. */
  @Get()
  root(@Headers('accept') accept: string | undefined, @Res({ passthrough: true }) reply: FastifyReply) {
    if (accept?.includes('text/html')) {
      void reply.type('text/html; charset=utf-8');
      return fleetPage(CORTEX_VERSION);
    }
    const s = fleetSummary(this.fleet.all(), this.cfg);
    return { name: 'cortex', version: CORTEX_VERSION, status: s.status, nodes: s.nodes, apis: ['openai', 'anthropic'] };
  }

  /** Which build this gateway runs (public, like `GET /`, which already names the version). */
  @Get('version')
  version(): VersionResponse {
    return buildInfo();
  }

  @Get('health')
  status() {
    const { neurons, ...summary } = fleetSummary(this.fleet.all(), this.cfg);
    return {
      ...summary,
      neurons: neurons.map(({ devices: _d, models, ...n }) => ({
        ...n,
        models: models.map((m) => ({ id: m.id, status: m.status, in_flight: m.in_flight })),
      })),
    };
  }

  @Get('livez')
  @HealthCheck()
  livez() {
    return this.health.check([() => this.indicators.check('gateway').up()]);
  }

  @Get('readyz')
  @HealthCheck()
  readyz() {
    return this.health.check([
      () => {
        const i = this.indicators.check('draining');
        return this.drain.draining ? i.down({ draining: true, in_flight: this.drain.inFlight }) : i.up();
      },
      () => {
        const i = this.indicators.check('neurons');
        const healthy = this.fleet.all().filter((n) => n.healthy).length;
        return healthy > 0 ? i.up({ healthy }) : i.down({ healthy });
      },
    ]);
  }
}
