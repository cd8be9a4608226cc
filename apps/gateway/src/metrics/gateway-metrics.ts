/**
 * The gateway's Prometheus metrics (names, labels and buckets as cortex users expect). They live in
 * prom-client's global registry, which the separate metrics app on metrics_listen serves.
 */
import { makeCounterProvider, makeGaugeProvider, makeHistogramProvider } from '@willsoto/nestjs-prometheus';

export const G = {
  requests: 'cortex_requests_total',
  errors: 'cortex_request_errors_total',
  coldStarts: 'cortex_cold_starts_total',
  duration: 'cortex_request_duration_seconds',
  ttft: 'cortex_time_to_first_token_seconds',
  tokS: 'cortex_tokens_per_second',
  promptTokens: 'cortex_prompt_tokens_total',
  completionTokens: 'cortex_completion_tokens_total',
  evictions: 'cortex_evictions_total',
  defrags: 'cortex_defrag_recycles_total',
  inFlight: 'cortex_model_in_flight',
  queueDepth: 'cortex_model_queue_depth',
  maxInFlight: 'cortex_model_max_in_flight',
  vramFree: 'cortex_device_vram_free_mb',
  vramUsed: 'cortex_device_vram_used_mb',
  vramTotal: 'cortex_device_vram_total_mb',
  utilization: 'cortex_device_utilization_percent',
  temperature: 'cortex_device_temperature_celsius',
  neuronUp: 'cortex_neuron_up',
  reloads: 'cortex_config_reloads_total',
  rateLimited: 'cortex_rate_limited_total',
  pollCycle: 'cortex_poll_cycle_seconds',
  resumes: 'cortex_stream_resumes_total',
  stateErrors: 'cortex_state_errors_total',
  budgetRefused: 'cortex_budget_refused_total',
  authorityErrors: 'cortex_entitlement_errors_total',
} as const;

const SECONDS_LONG = [0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1200];
const SECONDS_SHORT = [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 30, 60, 120];
const TOKENS_PER_SECOND = [1, 2.5, 5, 10, 15, 20, 30, 40, 60, 80, 120, 200, 400, 800, 1600, 3200];
const MODEL_NODE = ['model', 'node'];

export const gatewayMetricProviders = [
  makeCounterProvider({
    name: G.rateLimited,
    help: 'Requests refused by a per-key limit (concurrency, requests, tokens_per_minute, tokens_per_day)',
    labelNames: ['key_id', 'limit'],
  }),
  makeCounterProvider({
    name: G.reloads,
    help: 'Reloads of models.toml and [auth] (SIGHUP or a file change): applied or refused',
    labelNames: ['result'],
  }),
  makeCounterProvider({ name: G.requests, help: 'Routed requests', labelNames: [...MODEL_NODE, 'api'] }),
  makeCounterProvider({
    name: G.authorityErrors,
    help: 'Calls to the entitlement authority ([entitlements.upstream]) that failed, timed out or broke its protocol, by call',
    labelNames: ['call'],
  }),
  makeCounterProvider({
    name: G.budgetRefused,
    help: 'Requests refused by a token budget: the line (key:ID or account:ID) and its kind (rolling or balance)',
    labelNames: ['line', 'kind'],
  }),
  makeCounterProvider({
    name: G.stateErrors,
    help: 'Calls to the shared state store ([state] redis_url) that failed or timed out, by concern',
    labelNames: ['concern'],
  }),
  makeCounterProvider({
    name: G.resumes,
    help: 'Answers cut by a neuron fault and sent on to another replica: ok, no_replica (none could take it), diverged',
    labelNames: ['model', 'result'],
  }),
  makeCounterProvider({ name: G.errors, help: 'Requests that failed', labelNames: [...MODEL_NODE, 'reason'] }),
  makeCounterProvider({ name: G.coldStarts, help: 'Requests that had to load their model', labelNames: MODEL_NODE }),
  makeHistogramProvider({
    name: G.duration,
    help: 'Full request duration (to the last byte)',
    labelNames: MODEL_NODE,
    buckets: SECONDS_LONG,
  }),
  makeHistogramProvider({
    name: G.ttft,
    help: 'Time to the first content token',
    labelNames: MODEL_NODE,
    buckets: SECONDS_SHORT,
  }),
  makeHistogramProvider({
    name: G.tokS,
    help: 'Decode tokens per second of a response',
    labelNames: MODEL_NODE,
    buckets: TOKENS_PER_SECOND,
  }),
  makeCounterProvider({ name: G.promptTokens, help: 'Prompt tokens', labelNames: MODEL_NODE }),
  makeCounterProvider({ name: G.completionTokens, help: 'Completion tokens', labelNames: MODEL_NODE }),
  makeCounterProvider({
    name: G.evictions,
    help: 'Models unloaded by the gateway',
    labelNames: ['node', 'model', 'reason'],
  }),
  makeCounterProvider({
    name: G.defrags,
    help: 'Device workers recycled after many load/unload cycles',
    labelNames: ['node', 'device'],
  }),
  makeGaugeProvider({ name: G.inFlight, help: 'Requests in flight per model (polled)', labelNames: ['node', 'model'] }),
  makeGaugeProvider({
    name: G.queueDepth,
    help: 'Requests waiting for a seat per model (polled)',
    labelNames: ['node', 'model'],
  }),
  makeGaugeProvider({
    name: G.maxInFlight,
    help: 'Seats per model: its capacity (polled)',
    labelNames: ['node', 'model'],
  }),
  makeGaugeProvider({ name: G.vramFree, help: 'Free device memory (polled)', labelNames: ['node', 'device'] }),
  makeGaugeProvider({ name: G.vramUsed, help: 'Used device memory (polled)', labelNames: ['node', 'device'] }),
  makeGaugeProvider({
    name: G.utilization,
    help: 'GPU utilisation (polled; nvidia-smi)',
    labelNames: ['node', 'device'],
  }),
  makeGaugeProvider({
    name: G.temperature,
    help: 'GPU temperature (polled; nvidia-smi)',
    labelNames: ['node', 'device'],
  }),
  makeGaugeProvider({ name: G.vramTotal, help: 'Device memory (polled)', labelNames: ['node', 'device'] }),
  makeGaugeProvider({
    name: G.pollCycle,
    help: 'How long the last poll of every neuron took (a cycle longer than poller.interval_ms skips ticks)',
  }),
  makeGaugeProvider({ name: G.neuronUp, help: '1 when the neuron is healthy', labelNames: ['node'] }),
];
