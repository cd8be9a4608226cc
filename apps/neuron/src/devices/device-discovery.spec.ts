import { describe, expect, it } from 'vitest';
import { parseNvidiaSmi, resolveDevices } from './device-discovery.service';

describe('device discovery', () => {
  const gpus = parseNvidiaSmi('0, NVIDIA H100 80GB HBM3, 81559\n1, NVIDIA H100 80GB HBM3, 81559\n');

  it('parses nvidia-smi csv', () => {
    expect(gpus).toEqual([
      { index: 0, name: 'NVIDIA H100 80GB HBM3', memoryMb: 81559 },
      { index: 1, name: 'NVIDIA H100 80GB HBM3', memoryMb: 81559 },
    ]);
    expect(parseNvidiaSmi('')).toEqual([]);
  });

  it('uses every GPU on auto, or one CPU device when there is none', () => {
    expect(resolveDevices('auto', gpus, 1000).map((d) => d.id)).toEqual(['cuda-0', 'cuda-1']);
    expect(resolveDevices('auto', [], 1000)).toEqual([
      { id: 'cpu', kind: 'cpu', index: null, name: 'cpu', vramTotalMb: 1000 },
    ]);
  });

  it('lets neuron.toml override discovery', () => {
    expect(resolveDevices(['cpu'], gpus, 1).map((d) => d.id)).toEqual(['cpu']);
    expect(resolveDevices(['cpu', 'cpu'], [], 1).map((d) => d.id)).toEqual(['cpu-0', 'cpu-1']);
    expect(resolveDevices([1], gpus, 1)).toEqual([
      { id: 'cuda-1', kind: 'cuda', index: 1, name: 'NVIDIA H100 80GB HBM3', vramTotalMb: 81559 },
    ]);
  });
  it('gives CPU pseudo-devices their own budgets when cpu_memory_mb lists one each', () => {
    expect(resolveDevices(['cpu', 'cpu', 'cpu'], [], [1000, 1000, 500]).map((d) => [d.id, d.vramTotalMb])).toEqual([
      ['cpu-0', 1000],
      ['cpu-1', 1000],
      ['cpu-2', 500],
    ]);
  });
});
