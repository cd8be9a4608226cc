/**
 * Health of the neuron: GET /health (devices with memory and restarts, per-model load — what the
 * gateway polls), GET /discovery, and terminus probes /livez and /readyz (not ready while draining
 * or when a device has failed).
 */
import { hostname } from 'node:os';
import { Controller, Get, Inject } from '@nestjs/common';
import { HealthCheck, HealthCheckService, HealthIndicatorService } from '@nestjs/terminus';
import {
  CORTEX_VERSION,
  type VersionResponse,
  buildInfo,
  type NeuronConfig,
  type NeuronDevice,
  type NeuronDiscovery,
  type NeuronHealth,
} from '@app/core';
import { DeviceWorkerService } from '../device-worker/device-worker.service';
import { DrainService } from '../lifecycle/drain.service';
import { Public } from '../http/token.guard';
import { ModelRegistryService } from '../models/model-registry.service';
import { NEURON_CONFIG } from '../config/neuron.tokens';
import { residentMb } from '../models/servability';
import { DeviceStatsService } from './device-stats.service';
import { GpuTelemetry } from './gpu-telemetry.service';

const startedAt = Date.now();

@Controller()
export class HealthController {
  constructor(
    @Inject(NEURON_CONFIG) private readonly cfg: NeuronConfig,
    private readonly devices: DeviceWorkerService,
    private readonly registry: ModelRegistryService,
    private readonly stats: DeviceStatsService,
    private readonly gpus: GpuTelemetry,
    private readonly drain: DrainService,
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
  ) {}

  @Get('discovery')
  discovery(): NeuronDiscovery {
    return {
      name: this.cfg.name,
      hostname: hostname(),
      version: CORTEX_VERSION,
      build: buildInfo(),
      devices: this.devices.list().map((s) => ({
        id: s.device.id,
        kind: s.device.kind,
        name: s.device.name,
        vram_total_mb: s.device.vramTotalMb,
      })),
    };
  }

  /** Which build this neuron runs, and the backends of its devices (token-protected like /health). */
  @Get('version')
  version(): VersionResponse {
    return { ...buildInfo(), backends: [...new Set(this.devices.list().map((s) => s.device.kind))] };
  }

  @Get('health')
  async status(): Promise<NeuronHealth> {
    const devices = await Promise.all(
      this.devices.list().map(async (s) => {
        // A grouped device is its group's worker: its state, pid, models, and a share of their memory.
        const group = this.devices.groupOf(s.device.id);
        const worker = group ?? s;
        const resident = this.registry
          .list()
          .filter((r) => r.deviceId === worker.device.id)
          .reduce((sum, r) => sum + residentMb(r) / (r.devices?.length ?? 1), 0);
        const st = await this.stats.of(s, Math.round(resident));
        const gpu = s.device.index === null ? null : await this.gpus.of(s.device.id, s.device.index);
        const device: NeuronDevice = {
          id: s.device.id,
          kind: s.device.kind,
          state: worker.state,
          group: group?.device.id ?? null,
          pid: worker.pid ?? null,
          restarts: s.restarts + (group?.restarts ?? 0),
          last_fault: worker.lastFault ?? s.lastFault,
          vram_total_mb: st?.vramTotalMb ?? s.device.vramTotalMb,
          vram_free_mb: st?.vramFreeMb ?? null,
          vram_used_mb: st?.vramUsedMb ?? null,
          ...(gpu ? { utilization_pct: gpu.utilizationPct, temperature_c: gpu.temperatureC } : {}),
          models: worker.models,
        };
        return device;
      }),
    );
    const failed = devices.some((d) => d.state === 'failed');
    return {
      status: this.drain.draining ? 'shutting_down' : failed ? 'degraded' : 'ok',
      name: this.cfg.name,
      uptime_s: Math.round((Date.now() - startedAt) / 1000),
      devices,
      models: this.registry.list().map((r) => ({
        id: r.id,
        device: r.deviceId,
        status: r.status,
        in_flight: r.admission.inFlight,
        queue_depth: r.admission.queueDepth,
        max_in_flight: r.maxInFlight,
        max_queue_depth: r.admission.queueMax,
        rejected_queue_full: r.admission.rejected.queue_full,
        rejected_timeout: r.admission.rejected.wait_timeout,
        last_used_at: r.lastUsedAt === null ? null : new Date(r.lastUsedAt).toISOString(),
      })),
    };
  }

  @Get('livez')
  @Public()
  @HealthCheck()
  livez() {
    return this.health.check([() => this.indicators.check('process').up()]);
  }

  @Get('readyz')
  @Public()
  @HealthCheck()
  readyz() {
    return this.health.check([
      () => {
        const i = this.indicators.check('draining');
        return this.drain.draining ? i.down({ draining: true }) : i.up();
      },
      ...this.devices.list().map((s) => () => {
        const i = this.indicators.check(s.device.id);
        const state = (this.devices.groupOf(s.device.id) ?? s).state;
        return state === 'failed' || state === 'stopped' ? i.down({ state }) : i.up({ state });
      }),
    ]);
  }
}
