/**
 * Owns one DeviceSupervisor per device: starts them at bootstrap, stops them at shutdown, logs and
 * counts every poisoning and every request failure that left a device healthy.
 */
import { totalmem } from 'node:os';
import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { InjectMetric } from '@willsoto/nestjs-prometheus';
import type { Counter } from 'prom-client';
import type { NeuronConfig } from '@app/core';
import { DeviceDiscoveryService } from '../devices/device-discovery.service';
import { M } from '../metrics/neuron-metrics';
import { FAULTS_ENABLED, NEURON_CONFIG, PROCESS_LAUNCHER, WORKER_ENTRY } from '../neuron.tokens';
import { DeviceSupervisor, type SupervisorHooks } from './device-supervisor';
import type { ProcessLauncher } from './process-launcher';

export type ModelStatusListener = SupervisorHooks['modelStatus'];

@Injectable()
export class DeviceWorkerService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly log = new Logger('DeviceWorker');
  private readonly supervisors = new Map<string, DeviceSupervisor>();
  private readonly listeners: ModelStatusListener[] = [];
  private started!: Promise<void>;
  private resolveStarted!: () => void;

  constructor(
    @Inject(NEURON_CONFIG) private readonly cfg: NeuronConfig,
    private readonly discovery: DeviceDiscoveryService,
    @Inject(PROCESS_LAUNCHER) private readonly launcher: ProcessLauncher,
    @Inject(WORKER_ENTRY) private readonly entry: string,
    @Inject(FAULTS_ENABLED) private readonly faults: boolean,
    @InjectMetric(M.restarts) private readonly restarts: Counter<string>,
    @InjectMetric(M.failures) private readonly failures: Counter<string>,
  ) {
    this.started = new Promise((r) => (this.resolveStarted = r));
  }

  /** Resolves once every device's first start has finished (ready, or failed). */
  whenStarted(): Promise<void> {
    return this.started;
  }

  onModelStatus(listener: ModelStatusListener): void {
    this.listeners.push(listener);
  }

  async onApplicationBootstrap(): Promise<void> {
    const devices = await this.discovery.discover(this.cfg.cpu_memory_mb ?? Math.round(totalmem() / 1024 / 1024));
    const hooks: SupervisorHooks = {
      poisoned: (device, reason, detail) => {
        this.restarts.inc({ device, reason });
        this.log.error(`device ${device} POISONED (${reason}): ${detail}; killing and restarting its worker`);
      },
      requestFailed: (device, reason, detail) => {
        this.failures.inc({ device, reason });
        this.log.warn(`request failed; device ${device} NOT poisoned (${reason}): ${detail}`);
      },
      modelStatus: (device, model, status, detail) => {
        this.log.log(`device ${device}: model ${model} ${status}${detail ? ` (${detail})` : ''}`);
        this.listeners.forEach((l) => l(device, model, status, detail));
      },
      log: (message) => this.log.warn(message),
    };
    for (const device of devices) {
      const sup = new DeviceSupervisor(device, {
        entry: this.entry,
        threads: this.cfg.threads,
        faults: this.faults,
        sessions: { hostCacheMb: this.cfg.sessions.host_cache_mb, minSavedTokens: this.cfg.sessions.min_saved_tokens },
        stepTimeoutMs: this.cfg.step_timeout_s * 1000,
        readyTimeoutMs: 60_000,
        launcher: this.launcher,
        hooks,
      });
      this.supervisors.set(device.id, sup);
    }
    await Promise.all([...this.supervisors.values()].map((s) => s.start()));
    this.log.log(`devices: ${devices.map((d) => `${d.id} (${d.name})`).join(', ')}`);
    this.resolveStarted();
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all([...this.supervisors.values()].map((s) => s.stop()));
  }

  list(): DeviceSupervisor[] {
    return [...this.supervisors.values()];
  }

  get(id: string): DeviceSupervisor | undefined {
    return this.supervisors.get(id);
  }
}
