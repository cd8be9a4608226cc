/**
 * Device memory numbers for /health and the metrics gauges, asked of each worker with a short
 * timeout and cached, so a busy or restarting worker never stalls a health probe. CPU devices report
 * their memory budget (cpu_memory_mb or RAM) minus what their resident models take.
 */
import { Injectable } from '@nestjs/common';
import { InjectMetric } from '@willsoto/nestjs-prometheus';
import type { Gauge } from 'prom-client';
import type { WorkerStats } from '@app/core';
import type { DeviceSupervisor } from '../device-worker/device-supervisor';
import { M } from '../metrics/neuron-metrics';

@Injectable()
export class DeviceStatsService {
  private readonly cache = new Map<string, WorkerStats>();

  constructor(
    @InjectMetric(M.vramTotal) private readonly total: Gauge<string>,
    @InjectMetric(M.vramFree) private readonly free: Gauge<string>,
    @InjectMetric(M.vramUsed) private readonly used: Gauge<string>,
  ) {}

  async of(sup: DeviceSupervisor, residentMb: number): Promise<WorkerStats | undefined> {
    if (sup.device.kind === 'cpu') {
      const total = sup.device.vramTotalMb;
      const used = Math.min(total, residentMb);
      return this.publish(sup, { vramTotalMb: total, vramUsedMb: used, vramFreeMb: total - used, models: sup.models });
    }
    if (sup.state === 'ready') {
      const fresh = await Promise.race([
        sup.stats().catch(() => undefined),
        new Promise<undefined>((r) => setTimeout(() => r(undefined), 1000).unref()),
      ]);
      if (fresh) this.cache.set(sup.device.id, fresh);
    }
    const s = this.cache.get(sup.device.id);
    return s && this.publish(sup, s);
  }

  private publish(sup: DeviceSupervisor, s: WorkerStats): WorkerStats {
    this.total.set({ device: sup.device.id }, s.vramTotalMb);
    this.free.set({ device: sup.device.id }, s.vramFreeMb);
    this.used.set({ device: sup.device.id }, s.vramUsedMb);
    return s;
  }
}
