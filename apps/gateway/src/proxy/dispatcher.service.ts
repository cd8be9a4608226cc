/**
 * Routes a request and sends it to the chosen neuron. A connection failure before any byte retries
 * once on another replica (the failed node counts as a failed poll); a 404 model_not_found from a
 * node the cache thought held the model (another gateway unloaded it) routes once more.
 */
import { Inject, Injectable } from '@nestjs/common';
import { ACCOUNT_HEADER, type CortexConfig, CortexError, KEY_HEADER, SHARE_HEADER } from '@app/core';
import { GATEWAY_CONFIG } from '../config/gateway.tokens';
import { FleetStateService } from '../fleet/fleet-state.service';
import type { Route } from '../router/route';
import { RouterService } from '../router/router.service';
import { sessionKeyOf } from '../router/session-key';
import { NeuronClient, UpstreamError, bufferedResponse } from '../upstream/neuron-client';
import { neuronErrorCode } from '../upstream/upstream-error';
import type { Client } from './client';
import type { Exchange } from './exchange';
import type { RequestScope } from './request-scope';
import { type Dispatch, RequestRecorder } from './request-recorder.service';

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

/**
 * What the neuron is told of the caller: its account, key (never the secret) and share, which the
 * neuron's fair share uses when it has a token; and the request id.
 */
function callHeaders(client: Client): Record<string, string> {
  const out: Record<string, string> = {};
  if (client.caller) {
    out[ACCOUNT_HEADER] = client.caller.accountId;
    out[KEY_HEADER] = client.caller.keyId;
    out[SHARE_HEADER] = String(client.caller.share);
  }
  const id = client.headers['x-request-id'];
  if (typeof id === 'string') out['x-request-id'] = id;
  return out;
}

@Injectable()
export class DispatcherService {
  constructor(
    @Inject(GATEWAY_CONFIG) private readonly cfg: CortexConfig,
    private readonly router: RouterService,
    private readonly fleet: FleetStateService,
    private readonly client: NeuronClient,
    private readonly recorder: RequestRecorder,
  ) {}

  /**
   * Routes and sends `x`; `waiting` runs before the request waits for a model to load. A resume
   * skips the nodes that failed (`exclude`) and has its own deadline (`signal`).
   */
  async dispatch(
    x: Exchange,
    client: Client,
    scope: RequestScope,
    waiting: () => void,
    opts: { exclude?: string[]; signal?: AbortSignal } = {},
  ): Promise<Dispatch> {
    const signal = opts.signal ?? scope.signal;
    const skip = opts.exclude ?? [];
    const extra = callHeaders(client);
    const session = x.path === '/v1/embeddings' ? null : sessionKeyOf(client.headers, x.body);
    if (session) extra['x-cortex-session'] = session;
    const hint = this.router.prefetch(x.model, session);
    if (hint) await hint;
    const routeOnce = (exclude?: string[]): Route | Promise<Route> => {
      const d = this.router.decide(x.model, { exclude, signal, session });
      if ('now' in d) return d.now;
      waiting();
      return d.later;
    };
    const send = async (r: Route): Promise<Dispatch> => {
      const sentAt = performance.now();
      const payload = x.raw !== undefined && r.modelId === x.model ? x.raw : serialise({ ...x.body, model: r.modelId });
      // Counted from now, so the next request's routing sees it before the next poll does.
      const release = this.fleet.began(r.node.name, r.modelId);
      let upstream;
      try {
        upstream = await this.client.forward(r.node, x.path, payload, x.stream, extra, signal);
      } catch (err) {
        release();
        throw err;
      }
      if (upstream.status >= 400) release();
      else scope.onClose(release);
      if (upstream.status === 404) {
        const text = await upstream.body.text();
        if (neuronCode(text) !== 'model_not_found' || r.coldStart) {
          upstream = bufferedResponse(upstream.status, upstream.headers, text);
        } else {
          this.fleet.removeModel(r.node.name, r.modelId);
          return send(await routeOnce(skip));
        }
      }
      this.recorder.sent(r, x.api);
      this.fleet.touch(r.node.name, r.modelId);
      return { route: r, upstream, sentAt, api: x.api };
    };
    let route = await routeOnce(skip);
    try {
      return await send(route);
    } catch (err) {
      if (!(err instanceof UpstreamError && err.connection) || signal.aborted) throw err;
      this.fleet.pollFailed(route.node.name, this.cfg.poller.unhealthy_after, err.message);
      this.recorder.connectFailed(route);
      route = await routeOnce([...skip, route.node.name]);
      try {
        return await send(route);
      } catch (again) {
        if (!(again instanceof UpstreamError && again.connection)) throw again;
        this.recorder.connectFailed(route);
        throw new CortexError(
          'upstream_connection_error',
          `could not reach a neuron for '${route.modelId}': ${again.message}`,
          { retryAfterS: 2 },
        );
      }
    }
  }
}
