/** A device a neuron drives (one worker child each), or a group of them one worker owns. */
export interface DeviceInfo {
  /** `cpu`, `cpu-1`, `cuda-0` … */
  id: string;
  kind: 'cpu' | 'cuda';
  /** CUDA index (CUDA_VISIBLE_DEVICES), or null for CPU. */
  index: number | null;
  name: string;
  vramTotalMb: number;
  /** A device group: the devices its one worker owns (their memory summed in vramTotalMb). */
  members?: string[];
  /** CUDA indexes of a group's devices (CUDA_VISIBLE_DEVICES); node-llama-cpp splits layers over them. */
  indexes?: number[];
}

export type { DeviceState } from '@app/core';
