/**
 * Routes a request and sends it to the chosen neuron. A connection failure before any byte retries
 * once on another replica (the failed node is counted as a failed poll). Also records the request
 * metrics once the response has been passed through.
 */
import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectMetric } from '@willsoto/nestjs-prometheus';
import type { Counter, Histogram } from 'prom-client';
import { type CortexConfig, CortexError, type SseOptions, type SseStream, sseLimits } from '@app/core';
import { SseParser } from '@app/translate';
import { GATEWAY_CONFIG } from '../config/gateway.tokens';
import { G } from '../metrics/gateway-metrics';
import { FleetStateService } from '../fleet/fleet-state.service';
import { type Route, RouterService } from '../router/router.service';
import { NeuronClient, UpstreamError, type UpstreamResponse, bufferedResponse } from '../upstream/neuron-client';
import { neuronErrorCode } from '../upstream/upstream-error';
import type { FastifyReply } from 'fastify';
import { DrainService } from '../lifecycle/drain.service';
import { RequestScope } from './request-scope';
import { sessionKeyOf } from '../router/session-key';
import { StreamObserver } from './stream-observer';

/** How a translating proxy turns an upstream OpenAI stream into its own dialect's frames. */
export interface StreamFrames {
  /** One upstream `data:` payload (a chunk, or an error frame). */
  data(payload: string): string;
  /** `[DONE]`, or the upstream closed. */
  end(): string;
  /** The upstream failed mid-stream, or the gateway is shutting down. */
  fail(e: CortexError): string;
}

export interface Dispatch {
  route: Route;
  upstream: UpstreamResponse;
  /** performance.now() when the request left for the neuron. */
  sentAt: number;
  /** The API it came in on (openai, anthropic, responses), for metrics and the request log. */
  api: string;
  /** The caller's key label (never the secret), when it sent a key. */
  keyId: string | null;
}

type Headers = Record<string, string | string[] | undefined>;

/** The body for the neuron; one the gateway cannot serialise is the caller's 400, never a neuron failure. */
export function serialise(body: Record<string, unknown>): string {
  try {
    return JSON.stringify(body);
  } catch (err) {
    throw new CortexError('invalid_body', `body: cannot be forwarded (${(err as Error).message})`, { param: 'body' });
  }
}

/** The neuron's error code in a body it answered as text. */
function neuronCode(text: string): string | null {
  try {
    return neuronErrorCode(JSON.parse(text));
  } catch {
    return null;
  }
}

function principalHeaders(h: Headers): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of ['x-cortex-account-id', 'x-cortex-key-id', 'x-request-id'])
    if (typeof h[k] === 'string') out[k] = h[k];
  return out;
}

@Injectable()
export class ForwardService {
  private readonly log = new Logger('Proxy');

  constructor(
    @Inject(GATEWAY_CONFIG) private readonly cfg: CortexConfig,
    private readonly drain: DrainService,
    private readonly router: RouterService,
    private readonly fleet: FleetStateService,
    private readonly client: NeuronClient,
    @InjectMetric(G.requests) private readonly requests: Counter<string>,
    @InjectMetric(G.errors) private readonly errors: Counter<string>,
    @InjectMetric(G.duration) private readonly duration: Histogram<string>,
    @InjectMetric(G.ttft) private readonly ttft: Histogram<string>,
    @InjectMetric(G.tokS) private readonly tokS: Histogram<string>,
    @InjectMetric(G.promptTokens) private readonly promptTokens: Counter<string>,
    @InjectMetric(G.completionTokens) private readonly completionTokens: Counter<string>,
  ) {}

  async dispatch(
    api: string,
    path: string,
    requested: string,
    body: Record<string, unknown>,
    headers: Headers,
    scope: RequestScope,
    onWait?: () => void,
  ): Promise<Dispatch> {
    const signal = scope.signal;
    const extra = principalHeaders(headers);
    const session = path === '/v1/embeddings' ? null : sessionKeyOf(headers, body);
    if (session) extra['x-cortex-session'] = session;
    let route = await this.router.route(requested, { onWait, signal, session });
    const send = async (r: Route): Promise<Dispatch> => {
      const sentAt = performance.now();
      const payload = serialise({ ...body, model: r.modelId });
      // Counted from now, so the next request's routing sees it before the next poll does.
      const release = this.fleet.began(r.node.name, r.modelId);
      let upstream;
      try {
        upstream = await this.client.forward(r.node, path, payload, body.stream === true, extra, signal);
      } catch (err) {
        release();
        throw err;
      }
      if (upstream.status >= 400) release();
      else scope.onClose(release);
      if (upstream.status === 404) {
        // The cache said loaded but the neuron says not (another gateway unloaded it): re-route once.
        const text = await upstream.body.text();
        if (neuronCode(text) !== 'model_not_found' || r.coldStart) {
          upstream = bufferedResponse(upstream.status, upstream.headers, text);
        } else {
          this.fleet.removeModel(r.node.name, r.modelId);
          return send(await this.router.route(requested, { onWait, signal, session }));
        }
      }
      this.requests.inc({ model: r.modelId, node: r.node.name, api });
      this.fleet.touch(r.node.name, r.modelId);
      return { route: r, upstream, sentAt, api, keyId: extra['x-cortex-key-id'] ?? null };
    };
    try {
      return await send(route);
    } catch (err) {
      if (!(err instanceof UpstreamError && err.connection) || signal.aborted) throw err;
      this.fleet.pollFailed(route.node.name, this.cfg.poller.unhealthy_after, err.message);
      this.errors.inc({ model: route.modelId, node: route.node.name, reason: 'connect' });
      route = await this.router.route(requested, { exclude: [route.node.name], onWait, signal, session });
      try {
        return await send(route);
      } catch (again) {
        if (again instanceof UpstreamError && again.connection) {
          this.errors.inc({ model: route.modelId, node: route.node.name, reason: 'connect' });
          throw new CortexError(
            'upstream_connection_error',
            `could not reach a neuron for '${route.modelId}': ${again.message}`,
            { retryAfterS: 2 },
          );
        }
        throw again;
      }
    }
  }

  /** Admits a request through the drain (503 shutting_down while draining) and tracks its client. */
  open(reply: FastifyReply): RequestScope {
    return new RequestScope(reply, (stop) => this.drain.enter(stop));
  }

  /** How client streams treat slow readers ([limits] stall_timeout_s, stall_buffer_mb). */
  sseOptions(): SseOptions {
    return {
      ...sseLimits(this.cfg.limits),
      onDrop: (why) => this.log.warn(`dropped a client stream that ${why.replace(/_/g, ' ')}`),
    };
  }

  /**
   * The whole upstream answer (JSON, or an error the neuron answered). A failed read is recorded and
   * becomes the caller's error; null when the caller itself went away.
   */
  async readAll(d: Dispatch, obs: StreamObserver, scope: RequestScope): Promise<string | null> {
    try {
      return await d.upstream.body.text();
    } catch (err) {
      const e = scope.failure(err, d.route.node.name);
      this.finish(d, obs, scope, e?.code ?? 'client_disconnect');
      if (e) throw e;
      return null;
    }
  }

  /** Pipes an upstream SSE answer through `frames` to the client, and records it. */
  async translateStream(d: Dispatch, scope: RequestScope, out: SseStream, frames: StreamFrames): Promise<void> {
    const obs = new StreamObserver();
    const parser = new SseParser();
    const decoder = new TextDecoder();
    let failure: string | undefined;
    try {
      for await (const chunk of d.upstream.body) {
        obs.feed(chunk as Buffer);
        for (const item of parser.push(decoder.decode(chunk as Buffer, { stream: true }))) {
          await out.write(item.kind === 'done' ? frames.end() : frames.data(item.data));
        }
      }
      await out.write(frames.end());
    } catch (err) {
      const e = scope.failure(err, d.route.node.name);
      failure = e ? e.code : 'client_disconnect';
      if (e) {
        this.log.warn(`stream from ${d.route.node.name} ended early: ${e.message}`);
        await out.write(frames.fail(e));
      }
    }
    this.finish(d, obs, scope, failure);
  }

  /**
   * The whole upstream answer (JSON, or an error the neuron answered), parsed when it is JSON and
   * recorded; null when the caller went away. A failed read is the caller's error.
   */
  async readJson(d: Dispatch, scope: RequestScope): Promise<{ body: unknown } | null> {
    const obs = new StreamObserver();
    const text = await this.readAll(d, obs, scope);
    if (text === null) return null;
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // not JSON: passed on as text
    }
    obs.observeJson(body);
    this.finish(d, obs, scope);
    return { body };
  }

  /** The neuron's Retry-After, on the error answer the client gets instead. */
  passRetryAfter(d: Dispatch, reply: FastifyReply): void {
    const retry = d.upstream.headers['retry-after'];
    if (retry) void reply.header('retry-after', retry);
  }

  /** Records duration, TTFT, token counts and decode speed of a passed-through response. */
  finish(d: Dispatch, obs: StreamObserver, scope: RequestScope, failure?: string): void {
    const labels = { model: d.route.modelId, node: d.route.node.name };
    scope.log({
      api: d.api,
      key_id: d.keyId,
      model: labels.model,
      node: labels.node,
      device: d.route.node.models.find((m) => m.id === d.route.modelId)?.device ?? null,
      cold_start: d.route.coldStart,
      upstream_status: d.upstream.status,
      ...(failure ? { error: failure } : {}),
      ...(obs.usage ? usageFields(obs.usage) : {}),
      ...(obs.firstTokenAt !== null ? { ttft_ms: Math.round(obs.firstTokenAt - d.sentAt) } : {}),
    });
    if (obs.usage) scope.charge(obs.usage.prompt_tokens + obs.usage.completion_tokens);
    this.duration.observe(labels, (performance.now() - d.sentAt) / 1000);
    if (failure || obs.sawError || d.upstream.status >= 400) {
      this.errors.inc({ ...labels, reason: failure ?? (obs.sawError ? 'stream_error' : `http_${d.upstream.status}`) });
    }
    if (obs.firstTokenAt !== null) this.ttft.observe(labels, (obs.firstTokenAt - d.sentAt) / 1000);
    if (obs.usage) {
      this.promptTokens.inc(labels, obs.usage.prompt_tokens ?? 0);
      this.completionTokens.inc(labels, obs.usage.completion_tokens ?? 0);
      const window =
        obs.firstTokenAt !== null && obs.lastTokenAt !== null ? (obs.lastTokenAt - obs.firstTokenAt) / 1000 : 0;
      if (obs.usage.completion_tokens > 1 && window >= 0.01)
        this.tokS.observe(labels, (obs.usage.completion_tokens - 1) / window);
    }
  }

  error(model: string, reason: string): void {
    this.errors.inc({ model, node: 'none', reason });
  }
}

function usageFields(u: NonNullable<StreamObserver['usage']>) {
  return {
    prompt_tokens: u.prompt_tokens,
    cached_tokens: u.prompt_tokens_details?.cached_tokens ?? 0,
    completion_tokens: u.completion_tokens,
  };
}
