/**
 * Owns one DeviceSupervisor per device: starts them at bootstrap, stops them at shutdown, logs and
 * counts every poisoning and every request failure that left a device healthy. A device group (a
 * model larger than one device) parks its members' workers and runs one worker over all of them
 * until its last model unloads; then the members get their own workers back.
 */
import { CortexError } from '@app/core';
import { totalmem } from 'node:os';
import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { InjectMetric } from '@willsoto/nestjs-prometheus';
import type { Counter } from 'prom-client';
import type { NeuronConfig } from '@app/core';
import { DeviceDiscoveryService } from '../devices/device-discovery.service';
import { M } from '../metrics/neuron-metrics';
import { FAULTS_ENABLED, NEURON_CONFIG, PROCESS_LAUNCHER, WORKER_ENTRY } from '../config/neuron.tokens';
import { DeviceSupervisor, type SupervisorHooks, type SupervisorOptions } from './device-supervisor';
import type { ProcessLauncher } from './process-launcher';

export type ModelStatusListener = SupervisorHooks['modelStatus'];

@Injectable()
export class DeviceWorkerService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly log = new Logger('DeviceWorker');
  private readonly supervisors = new Map<string, DeviceSupervisor>();
  /** Device groups by id (`cpu-0+cpu-1`), each with the per-device supervisors it parked. */
  private readonly groups = new Map<string, DeviceSupervisor>();
  private options!: SupervisorOptions;
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
    this.options = {
      entry: this.entry,
      threads: this.cfg.threads,
      faults: this.faults,
      sessions: { hostCacheMb: this.cfg.sessions.host_cache_mb, minSavedTokens: this.cfg.sessions.min_saved_tokens },
      stepTimeoutMs: this.cfg.step_timeout_s * 1000,
      readyTimeoutMs: 60_000,
      launcher: this.launcher,
      hooks,
    };
    for (const device of devices) this.supervisors.set(device.id, new DeviceSupervisor(device, this.options));
    await Promise.all([...this.supervisors.values()].map((s) => s.start()));
    this.log.log(`devices: ${devices.map((d) => `${d.id} (${d.name})`).join(', ')}`);
    this.resolveStarted();
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all([...this.supervisors.values(), ...this.groups.values()].map((s) => s.stop()));
  }

  /** The physical devices (a grouped one's own supervisor is stopped while its group runs). */
  list(): DeviceSupervisor[] {
    return [...this.supervisors.values()];
  }

  /** A device's or a group's supervisor. */
  get(id: string): DeviceSupervisor | undefined {
    return this.supervisors.get(id) ?? this.groups.get(id);
  }

  /** The group whose worker holds `deviceId` now, if any. */
  groupOf(deviceId: string): DeviceSupervisor | undefined {
    return [...this.groups.values()].find((g) => g.device.members!.includes(deviceId));
  }

  /** Why `ids` cannot form a group now (missing, grouped, not ready, holding models, mixed), or null. */
  groupRefusal(ids: string[]): CortexError | null {
    for (const id of ids) {
      const sup = this.supervisors.get(id);
      const busy = (why: string) =>
        new CortexError('device_busy', `devices: ${id} ${why}`, { param: 'devices', retryAfterS: 5 });
      if (!sup)
        return new CortexError('device_not_found', `devices: no device "${id}" on this neuron`, { param: 'devices' });
      const group = this.groupOf(id);
      if (group) return busy(`is already in group ${group.device.id}`);
      if (sup.state !== 'ready') return busy(`is ${sup.state}`);
      if (sup.models.length) return busy(`holds ${sup.models.join(', ')}; a group needs its devices empty`);
    }
    const kinds = new Set(ids.map((id) => this.supervisors.get(id)!.device.kind));
    if (new Set(ids).size !== ids.length || kinds.size !== 1)
      return new CortexError('invalid_body', 'devices: a group needs distinct devices of one kind', {
        param: 'devices',
      });
    return null;
  }

  /**
   * Parks the workers of `ids` (free, ready devices of one kind) and starts one worker over all of
   * them. Fails, leaving them as they were, when one is missing, busy, grouped or not ready.
   */
  async formGroup(ids: string[]): Promise<DeviceSupervisor> {
    const refusal = this.groupRefusal(ids);
    if (refusal) throw refusal;
    const members = ids.map((id) => this.supervisors.get(id)!);
    const first = members[0]!.device;
    const group = new DeviceSupervisor(
      {
        id: ids.join('+'),
        kind: first.kind,
        index: null,
        ...(first.kind === 'cuda' ? { indexes: members.map((m) => m.device.index!) } : {}),
        name: `group of ${ids.length} (${members.map((m) => m.device.name).join(', ')})`,
        vramTotalMb: members.reduce((sum, m) => sum + m.device.vramTotalMb, 0),
        members: ids,
      },
      this.options,
    );
    this.groups.set(group.device.id, group);
    await Promise.all(members.map((m) => m.stop()));
    this.log.log(`device group ${group.device.id}: one worker over ${ids.join(', ')}`);
    await group.start();
    if (group.state !== 'ready') {
      await this.dissolve(group.device.id);
      throw new CortexError('device_failed', `device group ${group.device.id} did not start: ${group.lastFault ?? ''}`);
    }
    return group;
  }

  /** Stops a group's worker and gives its devices their own workers back. */
  async dissolve(groupId: string): Promise<void> {
    const group = this.groups.get(groupId);
    if (!group) return;
    this.groups.delete(groupId);
    await group.stop();
    this.log.log(`device group ${groupId} dissolved; ${group.device.members!.join(', ')} have their own workers again`);
    await Promise.all(group.device.members!.map((id) => this.supervisors.get(id)!.start()));
  }
}
