/**
 * Finds the devices this neuron drives: CUDA GPUs from `nvidia-smi` when present, otherwise one CPU
 * device; `devices` in neuron.toml overrides ("auto" | ["cpu"] | [0, 1]; ["cpu", "cpu"] makes CPU
 * pseudo-devices, each with its budget from cpu_memory_mb).
 */
import { Inject, Injectable } from '@nestjs/common';
import type { NeuronConfig } from '@app/core';
import type { DeviceInfo } from './device-info';
import { COMMAND_RUNNER, NEURON_CONFIG } from '../config/neuron.tokens';
import type { CommandRunner } from './command-runner';

interface Gpu {
  index: number;
  name: string;
  memoryMb: number;
}

export function parseNvidiaSmi(csv: string): Gpu[] {
  return csv
    .split('\n')
    .map((line) => line.split(',').map((s) => s.trim()))
    .filter((cols) => cols.length >= 3 && /^\d+$/.test(cols[0]!))
    .map(([index, name, mem]) => ({ index: Number(index), name: name!, memoryMb: Number(mem) || 0 }));
}

/** `cpuMemMb`: one budget for every CPU device, or one each (CPU pseudo-devices). */
export function resolveDevices(
  selector: NeuronConfig['devices'],
  gpus: Gpu[],
  cpuMemMb: number | number[],
): DeviceInfo[] {
  const wanted = selector === 'auto' ? (gpus.length ? gpus.map((g) => g.index) : ['cpu' as const]) : selector;
  const cpuCount = wanted.filter((d) => d === 'cpu').length;
  let cpuSeen = 0;
  return wanted.map((d) => {
    if (d === 'cpu') {
      const n = cpuSeen++;
      const id = cpuCount > 1 ? `cpu-${n}` : 'cpu';
      const budget = Array.isArray(cpuMemMb) ? (cpuMemMb[n] ?? cpuMemMb.at(-1)!) : cpuMemMb;
      return { id, kind: 'cpu' as const, index: null, name: 'cpu', vramTotalMb: budget };
    }
    const gpu = gpus.find((g) => g.index === d);
    return {
      id: `cuda-${d}`,
      kind: 'cuda' as const,
      index: d,
      name: gpu?.name ?? `cuda:${d}`,
      vramTotalMb: gpu?.memoryMb ?? 0,
    };
  });
}

@Injectable()
export class DeviceDiscoveryService {
  constructor(
    @Inject(NEURON_CONFIG) private readonly cfg: NeuronConfig,
    @Inject(COMMAND_RUNNER) private readonly runner: CommandRunner,
  ) {}

  async discover(cpuMemMb: number | number[]): Promise<DeviceInfo[]> {
    const needGpus = this.cfg.devices === 'auto' || this.cfg.devices.some((d) => d !== 'cpu');
    const out = needGpus
      ? await this.runner.run(
          'nvidia-smi',
          ['--query-gpu=index,name,memory.total', '--format=csv,noheader,nounits'],
          5000,
        )
      : null;
    return resolveDevices(this.cfg.devices, out ? parseNvidiaSmi(out) : [], cpuMemMb);
  }
}
