/**
 * GPU utilisation and temperature, where nvidia-smi gives them: read at most every few seconds
 * (health polls come every two), exported as gauges and in /health. CPU devices have neither.
 */
import { Inject, Injectable } from '@nestjs/common';
import { InjectMetric } from '@willsoto/nestjs-prometheus';
import type { Gauge } from 'prom-client';
import { M } from '../metrics/neuron-metrics';
import { COMMAND_RUNNER } from '../config/neuron.tokens';
import type { CommandRunner } from '../devices/command-runner';

export interface GpuReading {
  utilizationPct: number | null;
  temperatureC: number | null;
}

/** `index, utilization.gpu, temperature.gpu` rows (csv, no header, no units); "[N/A]" is null. */
export function parseTelemetry(csv: string): Map<number, GpuReading> {
  const num = (s: string | undefined) => (s !== undefined && /^\d+(\.\d+)?$/.test(s) ? Number(s) : null);
  const out = new Map<number, GpuReading>();
  for (const line of csv.split('\n')) {
    const [index, util, temp] = line.split(',').map((s) => s.trim());
    if (!index || !/^\d+$/.test(index)) continue;
    out.set(Number(index), { utilizationPct: num(util), temperatureC: num(temp) });
  }
  return out;
}

const FRESH_MS = 5000;

@Injectable()
export class GpuTelemetry {
  private last: { at: number; readings: Map<number, GpuReading> } | null = null;
  private pending: Promise<Map<number, GpuReading>> | null = null;

  constructor(
    @Inject(COMMAND_RUNNER) private readonly runner: CommandRunner,
    @InjectMetric(M.gpuUtilization) private readonly utilization: Gauge<string>,
    @InjectMetric(M.gpuTemperature) private readonly temperature: Gauge<string>,
  ) {}

  /** The reading of CUDA device `index` (null fields when nvidia-smi has none). */
  async of(deviceId: string, index: number): Promise<GpuReading> {
    const r = (await this.readings()).get(index) ?? { utilizationPct: null, temperatureC: null };
    if (r.utilizationPct !== null) this.utilization.set({ device: deviceId }, r.utilizationPct);
    if (r.temperatureC !== null) this.temperature.set({ device: deviceId }, r.temperatureC);
    return r;
  }

  private async readings(): Promise<Map<number, GpuReading>> {
    if (this.last && Date.now() - this.last.at < FRESH_MS) return this.last.readings;
    this.pending ??= this.runner
      .run('nvidia-smi', ['--query-gpu=index,utilization.gpu,temperature.gpu', '--format=csv,noheader,nounits'], 2000)
      .then((out) => {
        const readings = out ? parseTelemetry(out) : new Map<number, GpuReading>();
        this.last = { at: Date.now(), readings };
        return readings;
      })
      .finally(() => (this.pending = null));
    return this.pending;
  }
}
