/** A device a neuron drives: one worker child each. */
export interface DeviceInfo {
  /** `cpu`, `cpu-1`, `cuda-0` … */
  id: string;
  kind: 'cpu' | 'cuda';
  /** CUDA index (CUDA_VISIBLE_DEVICES), or null for CPU. */
  index: number | null;
  name: string;
  vramTotalMb: number;
}

export type DeviceState = 'starting' | 'ready' | 'recovering' | 'failed' | 'stopped';
