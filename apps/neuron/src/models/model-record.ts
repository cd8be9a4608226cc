/** What the neuron knows about one model; `/models` lists these in the contract's NeuronModel shape. */
import type { KvSnapshot, ModelStatus, NeuronModel, Servable } from '@app/core';
import { Admission } from '../admission/admission';

export type { ModelStatus };

export interface ModelRecord {
  id: string;
  source: string;
  /** Its device, or its device group's id (`cpu-0+cpu-1`). */
  deviceId: string;
  /** The devices of its group, when one worker holds it across several. */
  devices?: string[];
  status: ModelStatus;
  loadProgress: number;
  vramMb: number | null;
  estimatedVramMb: number | null;
  contextSize: number | null;
  trainContextSize: number | null;
  /** node-llama-cpp's chat wrapper for its template. */
  chatWrapper?: string;
  maxInFlight: number;
  admission: Admission;
  lastUsedAt: number | null;
  loadedAt: number | null;
  capabilities: string[];
  /** Pinned models are never evicted by a gateway (set through POST /models/pin). */
  pinned: boolean;
  error: string | null;
  /** KV sequences the model was loaded with (seats plus idle ones). */
  sequences?: number;
  /** Its KV sessions as the worker reported them after the latest generation. */
  kv?: KvSnapshot;
  /** Aborts the load in progress (download or worker load) when an unload cancels it. */
  cancelLoad?: AbortController;
}

export function newRecord(
  id: string,
  source: string,
  deviceId: string,
  maxInFlight: number,
  queue: { max_queue_depth: number; max_wait_s: number; share_hold_ms: number },
): ModelRecord {
  return {
    id,
    source,
    deviceId,
    status: 'loading',
    loadProgress: 0,
    vramMb: null,
    estimatedVramMb: null,
    contextSize: null,
    trainContextSize: null,
    maxInFlight,
    admission: new Admission(maxInFlight, queue.max_queue_depth, queue.max_wait_s * 1000, queue.share_hold_ms),
    lastUsedAt: null,
    loadedAt: null,
    capabilities: [],
    pinned: false,
    error: null,
    cancelLoad: new AbortController(),
  };
}

export function describeModel(r: ModelRecord, servable?: Servable): NeuronModel {
  const iso = (t: number | null) => (t === null ? null : new Date(t).toISOString());
  return {
    id: r.id,
    source: r.source,
    device: r.deviceId,
    ...(r.devices ? { devices: r.devices } : {}),
    status: r.status,
    load_progress: Math.round(r.loadProgress * 1000) / 1000,
    vram_mb: r.vramMb,
    estimated_vram_mb: r.estimatedVramMb,
    context_size: r.contextSize,
    train_context_size: r.trainContextSize,
    chat_wrapper: r.chatWrapper ?? null,
    in_flight: r.admission.inFlight,
    queue_depth: r.admission.queueDepth,
    max_in_flight: r.maxInFlight,
    max_queue_depth: r.admission.queueMax,
    last_used_at: iso(r.lastUsedAt),
    loaded_at: iso(r.loadedAt),
    capabilities: r.capabilities,
    pinned: r.pinned,
    error: r.error,
    ...(r.kv ? { kv: describeKv(r.kv, r.sequences ?? r.maxInFlight) } : {}),
    ...(servable ? { servable } : {}),
  };
}

function describeKv(k: KvSnapshot, sequences: number): NonNullable<NeuronModel['kv']> {
  return {
    sequences,
    warm_sessions: k.warm,
    sequence_hits: k.sequenceHits,
    tier_hits: k.tierHits,
    misses: k.misses,
    tier_saves: k.saves,
    tier_entries: k.tierEntries,
    tier_bytes: k.tierBytes,
    restore_ms: k.restoreMs,
    restored_tokens: k.restoredTokens,
    prefill_ms: k.prefillMs,
    prefilled_tokens: k.prefilledTokens,
  };
}
