/**
 * Whether an answer cut by a neuron fault goes on on another replica, and the dispatch that does it:
 * the policy ([resume] max_attempts, the model's `resume`, the caller's `x-cortex-resume`), which
 * failures qualify (a device or neuron fault by the contract's code, or a connection to the neuron
 * that broke — never the client's error or its leaving), and a new dispatch that skips the nodes that
 * failed, within the deadline. Each resume is counted and logged.
 */
import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectMetric } from '@willsoto/nestjs-prometheus';
import type { Counter } from 'prom-client';
import { type CortexConfig, CortexError, FAULT_CODES } from '@app/core';
import { Catalogue } from '../config/catalogue';
import { CATALOGUE, GATEWAY_CONFIG } from '../config/gateway.tokens';
import { G } from '../metrics/gateway-metrics';
import { UpstreamError } from '../upstream/upstream-error';
import type { Client } from './client';
import { DispatcherService } from './dispatcher.service';
import type { Exchange } from './exchange';
import type { Dispatch } from './request-recorder.service';
import type { RequestScope } from './request-scope';

export const RESUME_HEADER = 'x-cortex-resume';

export type ResumeResult = 'ok' | 'no_replica' | 'diverged';

/** A failure of the upstream leg: its error for the client, and whether another replica may go on. */
export interface Fault {
  error: CortexError;
  node: string;
}

@Injectable()
export class ResumeService {
  private readonly log = new Logger('Resume');

  constructor(
    @Inject(GATEWAY_CONFIG) private readonly cfg: CortexConfig,
    @Inject(CATALOGUE) private readonly catalogue: Catalogue,
    private readonly dispatcher: DispatcherService,
    @InjectMetric(G.resumes) private readonly resumes: Counter<string>,
  ) {}

  /** Resumes this request may take (0: none). A malformed x-cortex-resume is the caller's 400. */
  allowance(x: Exchange, client: Client): number {
    const header = client.headers[RESUME_HEADER];
    if (header !== undefined && header !== 'on' && header !== 'off') {
      throw new CortexError('invalid_body', `${RESUME_HEADER}: expected "on" or "off"`, { param: RESUME_HEADER });
    }
    if (header === 'off' || x.path !== '/v1/chat/completions') return 0;
    if (this.catalogue.get(this.catalogue.resolve(x.model))?.resume === false) return 0;
    return this.cfg.resume.max_attempts;
  }

  /** A neuron's error (in a stream or as its answer) that is a fault of its device or process. */
  static isFault(e: CortexError): boolean {
    return FAULT_CODES.has(e.code);
  }

  /** A call that failed after it reached the neuron: the connection broke or timed out. */
  static brokeAt(err: unknown): string | null {
    return err instanceof UpstreamError && (err.failure === 'broken' || err.failure === 'timeout') ? err.node : null;
  }

  /**
   * Sends `x` (the continuation, or the request again when nothing was sent) to a replica other than
   * those that failed, within [resume] deadline_s; null when none could take it.
   */
  async dispatch(x: Exchange, client: Client, scope: RequestScope, failed: string[]): Promise<Dispatch | null> {
    const ac = new AbortController();
    const stop = () => ac.abort();
    scope.signal.addEventListener('abort', stop, { once: true });
    scope.onClose(() => scope.signal.removeEventListener('abort', stop));
    const timer = setTimeout(stop, this.cfg.resume.deadline_s * 1000);
    const started = performance.now();
    try {
      const d = await this.dispatcher.dispatch(x, client, scope, () => undefined, {
        exclude: failed,
        signal: ac.signal,
      });
      if (d.upstream.status >= 400) {
        await d.upstream.body.text().catch(() => undefined);
        throw new Error(`${d.route.node.name} answered HTTP ${d.upstream.status}`);
      }
      const ms = Math.round(performance.now() - started);
      this.log.log(`resumed a ${x.model} answer on ${d.route.node.name} after ${failed.join(', ')} failed (${ms} ms)`);
      this.count(d.route.modelId, 'ok');
      return d;
    } catch (err) {
      this.log.warn(`could not resume a ${x.model} answer: ${(err as Error).message}`);
      this.count(this.catalogue.resolve(x.model), 'no_replica');
      return null;
    } finally {
      clearTimeout(timer);
    }
  }

  count(model: string, result: ResumeResult): void {
    this.resumes.inc({ model, result });
  }
}
