/** What the gateway knows of each neuron, as polled from its /discovery, /models and /health. */
export interface NeuronModel {
  id: string;
  device: string;
  status: 'loading' | 'loaded' | 'recovering' | 'failed';
  load_progress?: number;
  vram_mb: number | null;
  estimated_vram_mb?: number | null;
  context_size: number | null;
  in_flight: number;
  queue_depth: number;
  max_in_flight: number;
  last_used_at: string | null;
  loaded_at: string | null;
  pinned?: boolean;
  capabilities?: string[];
}

export interface NeuronDevice {
  id: string;
  kind: 'cpu' | 'cuda';
  state: string;
  vram_total_mb: number;
  vram_free_mb: number | null;
  models?: string[];
}

export interface NodeState {
  name: string;
  endpoint: string;
  token?: string;
  healthy: boolean;
  failures: number;
  discovered: boolean;
  devices: NeuronDevice[];
  models: NeuronModel[];
  lastPollAt: number | null;
  lastError: string | null;
}
