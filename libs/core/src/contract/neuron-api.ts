/**
 * The HTTP contract between the gateway and its neurons: what /discovery, /health and /models
 * answer and what the lifecycle routes take. The neuron builds these shapes and the gateway reads
 * them, both typed from here; errors travel as OpenAI envelopes whose `code` is an ErrorCode.
 */
import type { BuildInfo } from '../version/build-info';

export type ModelStatus = 'loading' | 'loaded' | 'unloading' | 'recovering' | 'failed';
export type DeviceKind = 'cpu' | 'cuda';
export type DeviceState = 'starting' | 'ready' | 'recovering' | 'failed' | 'stopped';

/** One model on a neuron (GET /models `data[]`, and the answer of load and pin). */
export interface NeuronModel {
  id: string;
  source?: string;
  device: string;
  status: ModelStatus;
  load_progress?: number;
  vram_mb: number | null;
  estimated_vram_mb?: number | null;
  /** The context it serves (tokens per request): asked for, else the largest that fitted at load. */
  context_size: number | null;
  train_context_size?: number | null;
  /** node-llama-cpp's chat wrapper for its template ("Qwen", "Llama 3", "Harmony", "Jinja", …). */
  chat_wrapper?: string | null;
  in_flight: number;
  queue_depth: number;
  max_in_flight: number;
  max_queue_depth?: number;
  last_used_at: string | null;
  loaded_at: string | null;
  capabilities?: string[];
  pinned?: boolean;
  error?: string | null;
  /** Agent sessions' KV caches (absent from older neurons, and before the first request). */
  kv?: NeuronModelKv;
  /** The devices of its group when one worker holds it across several (`device` is the group's id). */
  devices?: string[];
  /**
   * Whether a resident model can start a request now; absent means servable (older neurons, and
   * models not loaded). The gateway skips replicas with `ok: false`.
   */
  servable?: Servable;
}

export interface Servable {
  ok: boolean;
  reason?: 'insufficient_vram' | 'unavailable';
  detail?: string;
}

/** GET /models `kv`: which sessions' prefixes are warm, and how prefixes have been served. */
export interface NeuronModelKv {
  /** KV sequences (seats plus idle ones). */
  sequences: number;
  /** Hashed session keys whose prefix is in a sequence or in the host tier (the gateway routes by them). */
  warm_sessions: string[];
  sequence_hits: number;
  tier_hits: number;
  misses: number;
  tier_saves: number;
  tier_entries: number;
  tier_bytes: number;
  restore_ms: number;
  restored_tokens: number;
  prefill_ms: number;
  prefilled_tokens: number;
}

export interface NeuronModelList {
  object: 'list';
  data: NeuronModel[];
}

/** One device as GET /health reports it. */
export interface NeuronDevice {
  id: string;
  kind: DeviceKind;
  state: DeviceState;
  pid?: number | null;
  restarts?: number;
  last_fault?: string | null;
  vram_total_mb: number;
  vram_free_mb: number | null;
  vram_used_mb?: number | null;
  /** GPUs, where nvidia-smi reports them. */
  utilization_pct?: number | null;
  temperature_c?: number | null;
  models?: string[];
  /** The device group (its id) whose worker holds this device now; its state is the group's. */
  group?: string | null;
}

export interface NeuronHealth {
  status: 'ok' | 'degraded' | 'shutting_down';
  name: string;
  uptime_s: number;
  devices: NeuronDevice[];
  models: Array<{
    id: string;
    device: string;
    status: ModelStatus;
    in_flight: number;
    queue_depth: number;
    max_in_flight: number;
    max_queue_depth: number;
    rejected_queue_full: number;
    rejected_timeout: number;
    last_used_at: string | null;
  }>;
}

export interface NeuronDiscovery {
  name: string;
  hostname: string;
  version: string;
  /** Which build it runs (absent from older neurons): the gateway compares them across the fleet. */
  build?: BuildInfo;
  devices: Array<{ id: string; kind: DeviceKind; name: string; vram_total_mb: number }>;
}

/** GET /version on both apps: the build, plus (neuron) the backends its devices run on. */
export type VersionResponse = BuildInfo & { backends?: DeviceKind[] };

/** POST /models/load */
export interface LoadModelRequest {
  id: string;
  source: string;
  /** The context to serve; unset: the largest that fits the device's free memory, up to the trained one. */
  context_size?: number;
  /** Without context_size, refuse the load unless min(trained, this) fits (the neuron's min_context when unset). */
  min_context?: number;
  max_in_flight?: number;
  device?: string;
  /** Load it on one worker owning this many devices (a device group); the neuron picks free ones. */
  min_devices?: number;
  /** The devices of its group, by id (the gateway's choice); implies min_devices = their number. */
  devices?: string[];
  /** false: answer 202 at once and report progress in GET /models. */
  wait?: boolean;
}

/** POST /models/unload */
export interface UnloadModelRequest {
  id: string;
  /** Abort requests in flight (and cancel a load in progress). */
  force?: boolean;
  /** Stop admitting, wait up to drain_timeout_s for requests in flight. */
  drain?: boolean;
}

export interface UnloadModelResponse {
  id: string;
  status: 'unloaded' | 'cancelled';
}

/** POST /models/estimate: what a model would take, from its GGUF, before any load. */
export interface EstimateRequest {
  source: string;
  context_size?: number;
  min_context?: number;
  max_in_flight?: number;
  device?: string;
}

export interface EstimateResponse {
  source: string;
  device: string;
  /** The context a load would get on that device now (its free memory), and what that takes. */
  context_size: number;
  train_context_size: number;
  sequences: number;
  estimated_vram_mb: number;
  /** The least it may get (context_size when asked for, else min(trained, min_context)) and what that takes. */
  min_context_size?: number;
  min_vram_mb?: number;
}

/** POST /models/pin */
export interface PinModelRequest {
  id: string;
  pinned?: boolean;
}

/** POST /v1/tokenize: a chat (messages and tools, rendered through the template) or plain text. */
export interface TokenizeRequest {
  model: string;
  messages?: unknown[];
  text?: string;
  tools?: unknown[];
  /** Also answer the rendered prompt (what the chat template makes of the messages and tools). */
  with_prompt?: boolean;
  /** The last message is an answer cut short, as chat's continue_final_message counts it. */
  continue_final_message?: boolean;
}

/** POST /v1/tokenize */
export interface TokenizeResponse {
  model: string;
  count: number;
  /** With `with_prompt`: the text the model would be given, its special tokens spelled out. */
  prompt?: string;
}

/** POST /devices/:id/recycle */
export interface RecycleResponse {
  id: string;
  state: DeviceState;
  pid: number | null;
  models: string[];
}

/** Neuron routes that answer without a token (orchestrators probe them). */
export const NEURON_PUBLIC_PATHS = ['/livez', '/readyz'] as const;
