/**
 * The neuron's Prometheus metrics (served on its own /metrics): tokens, TTFT and decode speed,
 * admission gauges, device memory, and the two failure counters that keep poisoning honest.
 */
import { makeCounterProvider, makeGaugeProvider, makeHistogramProvider } from '@willsoto/nestjs-prometheus';

export const M = {
  tokens: 'neuron_tokens_total',
  ttft: 'neuron_time_to_first_token_seconds',
  decode: 'neuron_decode_tokens_per_second',
  inFlight: 'neuron_in_flight',
  queueDepth: 'neuron_queue_depth',
  vramTotal: 'neuron_vram_total_mb',
  vramFree: 'neuron_vram_free_mb',
  vramUsed: 'neuron_vram_used_mb',
  restarts: 'neuron_device_restarts_total',
  failures: 'neuron_request_failures_total',
  rejections: 'neuron_admission_rejections_total',
  gpuUtilization: 'neuron_gpu_utilization_percent',
  gpuTemperature: 'neuron_gpu_temperature_celsius',
  kvLookups: 'neuron_kv_lookups_total',
  kvSaves: 'neuron_kv_tier_saves_total',
  kvTierBytes: 'neuron_kv_tier_bytes',
  kvSeconds: 'neuron_kv_seconds_total',
  kvTokens: 'neuron_kv_tokens_total',
} as const;

export const neuronMetricProviders = [
  makeCounterProvider({ name: M.tokens, help: 'Tokens processed', labelNames: ['model', 'kind'] }),
  makeHistogramProvider({
    name: M.ttft,
    help: 'Time from admission to the first generated token',
    labelNames: ['model'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
  }),
  makeHistogramProvider({
    name: M.decode,
    help: 'Decode speed of a generation (tokens after the first, per second)',
    labelNames: ['model'],
    buckets: [1, 2.5, 5, 10, 20, 40, 80, 160, 320, 640, 1280, 2560],
  }),
  makeGaugeProvider({ name: M.inFlight, help: 'Generations running', labelNames: ['model'] }),
  makeGaugeProvider({ name: M.queueDepth, help: 'Requests waiting for a seat', labelNames: ['model'] }),
  makeGaugeProvider({ name: M.vramTotal, help: 'Device memory (VRAM; RAM for cpu)', labelNames: ['device'] }),
  makeGaugeProvider({ name: M.vramFree, help: 'Free device memory', labelNames: ['device'] }),
  makeGaugeProvider({ name: M.vramUsed, help: 'Used device memory', labelNames: ['device'] }),
  makeCounterProvider({
    name: M.restarts,
    help: 'Device worker restarts (poisonings)',
    labelNames: ['device', 'reason'],
  }),
  makeCounterProvider({
    name: M.failures,
    help: 'Requests that failed without poisoning their device',
    labelNames: ['device', 'reason'],
  }),
  makeCounterProvider({
    name: M.rejections,
    help: 'Requests refused by admission',
    labelNames: ['model', 'reason'],
  }),
  makeCounterProvider({
    name: M.kvLookups,
    help: 'Where each prompt prefix came from: a KV sequence (sequence_hit), the host tier (tier_hit) or nowhere (miss)',
    labelNames: ['model', 'result'],
  }),
  makeGaugeProvider({ name: M.gpuUtilization, help: 'GPU utilisation (nvidia-smi)', labelNames: ['device'] }),
  makeGaugeProvider({ name: M.gpuTemperature, help: 'GPU temperature (nvidia-smi)', labelNames: ['device'] }),
  makeCounterProvider({ name: M.kvSaves, help: 'Sequence states saved to the host tier', labelNames: ['model'] }),
  makeGaugeProvider({ name: M.kvTierBytes, help: 'Bytes of saved states in the host tier', labelNames: ['model'] }),
  makeCounterProvider({
    name: M.kvSeconds,
    help: 'Time restoring saved states (restore) and prefilling prompts that missed every cache (prefill)',
    labelNames: ['model', 'op'],
  }),
  makeCounterProvider({
    name: M.kvTokens,
    help: 'Prompt tokens restored from the host tier (restore) and prefilled on misses (prefill)',
    labelNames: ['model', 'op'],
  }),
];
