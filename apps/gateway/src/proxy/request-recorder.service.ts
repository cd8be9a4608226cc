/**
 * What a proxied request leaves behind: the request counters, duration, TTFT, token counts and
 * decode speed in Prometheus, the fields of its log line, and its tokens charged to the caller's key.
 */
import { Injectable } from '@nestjs/common';
import { InjectMetric } from '@willsoto/nestjs-prometheus';
import type { Counter, Histogram } from 'prom-client';
import { G } from '../metrics/gateway-metrics';
import type { Route } from '../router/route';
import type { UpstreamResponse } from '../upstream/neuron-client';
import type { Client } from './client';
import type { Api } from './exchange';
import type { StreamObserver, Usage } from './stream-observer';

export interface Dispatch {
  route: Route;
  upstream: UpstreamResponse;
  /** performance.now() when the request left for the neuron. */
  sentAt: number;
  api: Api;
}

@Injectable()
export class RequestRecorder {
  constructor(
    @InjectMetric(G.requests) private readonly requests: Counter<string>,
    @InjectMetric(G.errors) private readonly errors: Counter<string>,
    @InjectMetric(G.duration) private readonly duration: Histogram<string>,
    @InjectMetric(G.ttft) private readonly ttft: Histogram<string>,
    @InjectMetric(G.tokS) private readonly tokS: Histogram<string>,
    @InjectMetric(G.promptTokens) private readonly promptTokens: Counter<string>,
    @InjectMetric(G.completionTokens) private readonly completionTokens: Counter<string>,
  ) {}

  /** A neuron took the request. */
  sent(route: Route, api: Api): void {
    this.requests.inc({ model: route.modelId, node: route.node.name, api });
  }

  /** A neuron could not be reached. */
  connectFailed(route: Route): void {
    this.errors.inc({ model: route.modelId, node: route.node.name, reason: 'connect' });
  }

  /** The answer was passed on (or cut short by `failure`); `resumes`: replicas that went on with it before this one. */
  finish(d: Dispatch, obs: StreamObserver, client: Client, failure?: string, resumes = 0): void {
    const labels = { model: d.route.modelId, node: d.route.node.name };
    client.log({
      api: d.api,
      key_id: client.caller?.keyId ?? null,
      model: labels.model,
      node: labels.node,
      device: d.route.node.models.find((m) => m.id === d.route.modelId)?.device ?? null,
      cold_start: d.route.coldStart,
      upstream_status: d.upstream.status,
      ...(failure ? { error: failure } : {}),
      ...(resumes ? { resumed: resumes } : {}),
      ...(obs.usage ? usageFields(obs.usage) : {}),
      ...(obs.firstTokenAt !== null ? { ttft_ms: Math.round(obs.firstTokenAt - d.sentAt) } : {}),
    });
    if (obs.usage) client.caller?.charge(obs.usage.prompt_tokens + obs.usage.completion_tokens);
    this.duration.observe(labels, (performance.now() - d.sentAt) / 1000);
    if (failure || obs.sawError || d.upstream.status >= 400) {
      this.errors.inc({ ...labels, reason: failure ?? (obs.sawError ? 'stream_error' : `http_${d.upstream.status}`) });
    }
    if (obs.firstTokenAt !== null) this.ttft.observe(labels, (obs.firstTokenAt - d.sentAt) / 1000);
    if (!obs.usage) return;
    this.promptTokens.inc(labels, obs.usage.prompt_tokens ?? 0);
    this.completionTokens.inc(labels, obs.usage.completion_tokens ?? 0);
    const window =
      obs.firstTokenAt !== null && obs.lastTokenAt !== null ? (obs.lastTokenAt - obs.firstTokenAt) / 1000 : 0;
    if (obs.usage.completion_tokens > 1 && window >= 0.01)
      this.tokS.observe(labels, (obs.usage.completion_tokens - 1) / window);
  }
}

function usageFields(u: Usage) {
  return {
    prompt_tokens: u.prompt_tokens,
    cached_tokens: u.prompt_tokens_details?.cached_tokens ?? 0,
    completion_tokens: u.completion_tokens,
  };
}
