/**
 * The only code that talks HTTP to neurons (undici). Every call has a deadline from [upstream] in
 * cortex.toml and may carry the caller's AbortSignal; failures are UpstreamErrors that say whether
 * the request ever reached the neuron. Streams come back as raw bodies, passed through chunk for
 * chunk.
 */
import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { Agent, request } from 'undici';
import type {
  CortexConfig,
  EstimateRequest,
  EstimateResponse,
  LoadModelRequest,
  NeuronDiscovery,
  NeuronHealth,
  NeuronModel,
  NeuronModelList,
  RecycleResponse,
  TokenizeRequest,
  TokenizeResponse,
  UnloadModelResponse,
} from '@app/core';
import { GATEWAY_CONFIG } from '../config/gateway.tokens';
import type { NodeState } from '../fleet/fleet.types';
import { UpstreamError, classifyFailure } from './upstream-error';

export { UpstreamError } from './upstream-error';

export interface UpstreamBody extends AsyncIterable<Buffer> {
  text(): Promise<string>;
}

export interface UpstreamResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: UpstreamBody;
}

/** What a call needs of a neuron: its name (for errors), where it listens, and its token. */
export type NeuronAddress = Pick<NodeState, 'name' | 'endpoint' | 'token'>;

export interface CallOptions {
  /** The deadline of the whole call (headers and body); the [upstream] default when omitted. */
  timeoutMs?: number;
  /** The caller going away (a client disconnect) aborts the call. */
  signal?: AbortSignal;
}

/** A response whose body was already read (to inspect an error), readable again. */
export function bufferedResponse(status: number, headers: UpstreamResponse['headers'], text: string): UpstreamResponse {
  return {
    status,
    headers,
    body: {
      text: async () => text,
      async *[Symbol.asyncIterator]() {
        yield Buffer.from(text);
      },
    },
  };
}

/** The Retry-After seconds a neuron answered, when it sent a valid one. */
export function retryAfter(headers: UpstreamResponse['headers']): number | undefined {
  const n = Number(headers['retry-after']);
  return Number.isFinite(n) && n >= 0 ? n : undefined;
}

@Injectable()
export class NeuronClient implements OnApplicationShutdown {
  private readonly agent: Agent;

  constructor(@Inject(GATEWAY_CONFIG) private readonly cfg: CortexConfig) {
    const u = cfg.upstream;
    this.agent = new Agent({
      keepAliveTimeout: 30_000,
      headersTimeout: u.request_timeout_s * 1000,
      bodyTimeout: u.idle_timeout_s * 1000,
      connect: { timeout: u.connect_timeout_ms },
    });
  }

  /** After the drain (requests finished or told to stop): closing earlier would wait for every stream. */
  async onApplicationShutdown(): Promise<void> {
    await this.agent.destroy().catch(() => undefined);
  }

  private headers(node: NeuronAddress, extra: Record<string, string> = {}): Record<string, string> {
    return {
      'content-type': 'application/json',
      ...extra,
      ...(node.token ? { authorization: `Bearer ${node.token}` } : {}),
    };
  }

  /** A JSON call to a neuron, under a deadline; a non-2xx answer is an UpstreamError with its code. */
  async call<T>(
    node: NeuronAddress,
    method: 'GET' | 'POST',
    path: string,
    body?: unknown,
    opts: CallOptions = {},
  ): Promise<T> {
    const deadline = AbortSignal.timeout(opts.timeoutMs ?? this.cfg.upstream.call_timeout_s * 1000);
    const signal = opts.signal ? AbortSignal.any([deadline, opts.signal]) : deadline;
    const what = `${node.name} ${method} ${path}`;
    let status: number;
    let headers: UpstreamResponse['headers'];
    let text: string;
    try {
      const res = await request(`${node.endpoint}${path}`, {
        method,
        headers: this.headers(node),
        body: body === undefined ? undefined : JSON.stringify(body),
        signal,
        dispatcher: this.agent,
      });
      status = res.statusCode;
      headers = res.headers;
      text = await res.body.text();
    } catch (err) {
      const failure = classifyFailure(err, deadline, opts.signal);
      const why = failure === 'timeout' ? 'no answer in time' : (err as Error).message;
      throw new UpstreamError(node.name, failure, `${what}: ${why}`);
    }
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      // keep the text
    }
    if (status >= 400) {
      const msg = (parsed as { error?: { message?: string } })?.error?.message ?? text.slice(0, 300);
      throw new UpstreamError(
        node.name,
        'http',
        `${what}: HTTP ${status}: ${msg}`,
        status,
        parsed,
        retryAfter(headers),
      );
    }
    return parsed as T;
  }

  /**
   * POSTs an inference request and returns the response as it starts. `body` is already serialised
   * (the caller answers a body it cannot serialise with a 400). A stream must answer within
   * headers_timeout_s (the neuron starts streams at once, pinging while queued); a non-streaming
   * request within request_timeout_s.
   */
  async forward(
    node: NodeState,
    path: string,
    body: string,
    stream: boolean,
    headers: Record<string, string>,
    signal: AbortSignal,
  ): Promise<UpstreamResponse> {
    const u = this.cfg.upstream;
    const headersMs = (stream ? u.headers_timeout_s : u.request_timeout_s) * 1000;
    try {
      // undici's own headersTimeout is the deadline: no timer or AbortSignal.any per request.
      const res = await this.agent.request({
        origin: node.endpoint,
        path,
        method: 'POST',
        headers: this.headers(node, headers),
        body,
        signal,
        headersTimeout: headersMs,
      });
      return { status: res.statusCode, headers: res.headers, body: res.body };
    } catch (err) {
      const failure = classifyFailure(err, undefined, signal);
      const why = failure === 'timeout' ? `no answer within ${headersMs / 1000} s` : (err as Error).message;
      throw new UpstreamError(node.name, failure, `${node.name} POST ${path}: ${why}`);
    }
  }

  /** The neuron's own Prometheus text (the gateway's metrics port serves it on, with the neuron's token). */
  metricsText(node: NeuronAddress, timeoutMs: number): Promise<string> {
    return this.call<unknown>(node, 'GET', '/metrics', undefined, { timeoutMs }).then((body) =>
      typeof body === 'string' ? body : JSON.stringify(body),
    );
  }

  discovery(node: NodeState, timeoutMs: number) {
    return this.call<NeuronDiscovery>(node, 'GET', '/discovery', undefined, { timeoutMs });
  }

  models(node: NodeState, timeoutMs: number) {
    return this.call<NeuronModelList>(node, 'GET', '/models', undefined, { timeoutMs });
  }

  health(node: NodeState, timeoutMs: number) {
    return this.call<NeuronHealth>(node, 'GET', '/health', undefined, { timeoutMs });
  }

  load(node: NodeState, body: LoadModelRequest, opts: CallOptions) {
    return this.call<NeuronModel>(node, 'POST', '/models/load', body, opts);
  }

  unload(node: NodeState, id: string, opts: CallOptions = {}) {
    return this.call<UnloadModelResponse>(node, 'POST', '/models/unload', { id }, opts);
  }

  pin(node: NodeState, id: string, pinned: boolean, opts: CallOptions = {}) {
    return this.call<NeuronModel>(node, 'POST', '/models/pin', { id, pinned }, opts);
  }

  recycle(node: NodeState, device: string, opts: CallOptions = {}) {
    return this.call<RecycleResponse>(node, 'POST', `/devices/${encodeURIComponent(device)}/recycle`, {}, opts);
  }

  estimate(node: NodeState, body: EstimateRequest, opts: CallOptions = {}) {
    return this.call<EstimateResponse>(node, 'POST', '/models/estimate', body, opts);
  }

  tokenize(node: NodeState, body: TokenizeRequest, opts: CallOptions = {}) {
    return this.call<TokenizeResponse>(node, 'POST', '/v1/tokenize', body, opts);
  }
}
