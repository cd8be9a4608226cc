/**
 * What a proxied request leaves behind: the request counters, duration, TTFT, token counts and
 * decode speed in Prometheus, the fields of its log line, its tokens charged to the caller's key,
 * and, once per client request, its line in the usage ledger.
 */
import { Inject, Injectable } from '@nestjs/common';
import { InjectMetric } from '@willsoto/nestjs-prometheus';
import type { Counter, Histogram } from 'prom-client';
import { G } from '../metrics/gateway-metrics';
import type { Route } from '../router/route';
import type { UpstreamResponse } from '../upstream/neuron-client';
import { CLOCK, type Clock } from '../config/gateway.tokens';
import { UsageLedger } from '../usage/usage-ledger';
import type { Client } from './client';
import type { Api } from './exchange';
import type { StreamObserver, Usage } from './stream-observer';

/** How a request ended, across the replicas that served it (the last one's leg decides). */
export interface Outcome {
  model: string;
  usage: Usage | null;
  failed: boolean;
}

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
    private readonly ledger: UsageLedger,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /** The request is over: one line in the usage ledger, for the caller's account and key. */
  account(client: Client, o: Outcome): void {
    const u = o.usage;
    this.ledger.record({
      at: this.clock.now(),
      account: client.caller?.accountId ?? 'anonymous',
      key: client.caller?.keyId ?? 'anonymous',
      model: o.model,
      prompt: u?.prompt_tokens ?? 0,
      cached: u?.prompt_tokens_details?.cached_tokens ?? 0,
      completion: u?.completion_tokens ?? 0,
      reasoning: u?.completion_tokens_details?.reasoning_tokens ?? 0,
      failed: o.failed,
    });
  }

  /** A neuron took the request. */
  sent(route: Route, api: Api): void {
    this.requests.inc({ model: route.modelId, node: route.node.name, api });
  }

  /** A neuron could not be reached. */
  connectFailed(route: Route): void {
    this.errors.inc({ model: route.modelId, node: route.node.name, reason: 'connect' });
  }

  /**
   * The answer was passed on (or cut short by `failure`); `resumes`: replicas that went on with it
   * before this one. Returns how this leg ended.
   */
  finish(d: Dispatch, obs: StreamObserver, client: Client, failure?: string, resumes = 0): Outcome {
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
    const failed = (!!failure && failure !== 'client_disconnect') || obs.sawError || d.upstream.status >= 400;
    const outcome = { model: d.route.modelId, usage: obs.usage, failed };
    if (!obs.usage) return outcome;
    this.promptTokens.inc(labels, obs.usage.prompt_tokens ?? 0);
    this.completionTokens.inc(labels, obs.usage.completion_tokens ?? 0);
    const window =
      obs.firstTokenAt !== null && obs.lastTokenAt !== null ? (obs.lastTokenAt - obs.firstTokenAt) / 1000 : 0;
    if (obs.usage.completion_tokens > 1 && window >= 0.01)
      this.tokS.observe(labels, (obs.usage.completion_tokens - 1) / window);
    return outcome;
  }
}

function usageFields(u: Usage) {
  return {
    prompt_tokens: u.prompt_tokens,
    cached_tokens: u.prompt_tokens_details?.cached_tokens ?? 0,
    completion_tokens: u.completion_tokens,
  };
}
