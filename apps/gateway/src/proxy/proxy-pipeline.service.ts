/**
 * One request pipeline for every dialect: the request's scope (drain, client gone), routing,
 * dispatch and retry, the event stream opened lazily (at once when the request must wait for a load,
 * so it pings meanwhile), each upstream payload parsed once, neuron errors turned into one
 * CortexError by their code, and the request's records. A dialect adapter only prepares the
 * Exchange: what to send, and its own frames and bodies.
 */
import { Inject, Injectable, Logger } from '@nestjs/common';
import { type CortexConfig, CortexError, sseLimits } from '@app/core';
import { SseParser } from '@app/translate';
import { GATEWAY_CONFIG } from '../config/gateway.tokens';
import { toCortexError } from '../errors/error.filters';
import { DrainService } from '../lifecycle/drain.service';
import { retryAfter } from '../upstream/neuron-client';
import { neuronError } from '../upstream/upstream-error';
import type { Client, EventSink } from './client';
import { DispatcherService } from './dispatcher.service';
import type { Exchange } from './exchange';
import { type Dispatch, RequestRecorder } from './request-recorder.service';
import { RequestScope } from './request-scope';
import { StreamObserver } from './stream-observer';

function parsed(text: string): Record<string, unknown> | null {
  try {
    const v: unknown = JSON.parse(text);
    return v && typeof v === 'object' ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** The client's event stream, opened on first need (a load to wait for, or the upstream's first byte). */
class LazySink {
  opened: EventSink | undefined;

  constructor(private readonly create: () => EventSink) {}

  open(): EventSink {
    return (this.opened ??= this.create());
  }
}

@Injectable()
export class ProxyPipeline {
  private readonly log = new Logger('Proxy');

  constructor(
    @Inject(GATEWAY_CONFIG) private readonly cfg: CortexConfig,
    private readonly drain: DrainService,
    private readonly dispatcher: DispatcherService,
    private readonly recorder: RequestRecorder,
  ) {}

  async run(x: Exchange, client: Client): Promise<void> {
    const scope = new RequestScope(client, (stop) => this.drain.enter(stop));
    try {
      await this.serve(x, client, scope);
    } finally {
      scope.close();
    }
  }

  private async serve(x: Exchange, client: Client, scope: RequestScope): Promise<void> {
    const events = new LazySink(() => {
      const sink = client.openStream({
        ...sseLimits(this.cfg.limits),
        ...(x.ping ? { pingFrame: x.ping } : {}),
        onDrop: (why) => this.log.warn(`dropped a client stream that ${why.replace(/_/g, ' ')}`),
      });
      if (x.start) void sink.write(x.start());
      return sink;
    });
    let d: Dispatch;
    try {
      d = await this.dispatcher.dispatch(x, client, scope, () => x.stream && events.open());
    } catch (err) {
      const e = scope.shuttingDown ? scope.failure(err, 'none')! : toCortexError(err);
      if (!events.opened) throw e;
      return events.opened.end(x.fail(e));
    }
    const sse = String(d.upstream.headers['content-type'] ?? '').includes('text/event-stream');
    if (d.upstream.status < 400 && sse) return this.stream(x, d, client, scope, events.open());
    return this.whole(x, d, client, scope, events.opened);
  }

  /** An upstream event stream, parsed once: observed, and passed through or translated. */
  private async stream(x: Exchange, d: Dispatch, client: Client, scope: RequestScope, sink: EventSink) {
    const obs = new StreamObserver();
    const parser = new SseParser();
    const decoder = new TextDecoder();
    let failure: string | undefined;
    try {
      for await (const chunk of d.upstream.body) {
        let out = '';
        for (const item of parser.push(decoder.decode(chunk as Buffer, { stream: true }))) {
          if (item.kind === 'done') {
            if (!x.passThrough) out += x.end();
            continue;
          }
          const json = parsed(item.data);
          obs.observe(json);
          if (x.passThrough) continue;
          out += json?.error ? x.fail(neuronError(null, json, 'upstream error')) : x.data({ raw: item.data, json });
        }
        await sink.write(x.passThrough ? (chunk as Buffer) : out);
      }
      if (!x.passThrough) await sink.write(x.end());
    } catch (err) {
      const e = scope.failure(err, d.route.node.name);
      failure = e ? e.code : 'client_disconnect';
      if (e) {
        this.log.warn(`stream from ${d.route.node.name} ended early: ${e.message}`);
        await sink.write(x.fail(e));
      }
    }
    this.recorder.finish(d, obs, client, failure);
    x.done?.();
    sink.end();
  }

  /** A whole answer: JSON, or an error the neuron answered (ending a stream already open with it). */
  private async whole(x: Exchange, d: Dispatch, client: Client, scope: RequestScope, sink?: EventSink) {
    const obs = new StreamObserver();
    let text: string;
    try {
      text = await d.upstream.body.text();
    } catch (err) {
      const e = scope.failure(err, d.route.node.name);
      this.recorder.finish(d, obs, client, e?.code ?? 'client_disconnect');
      if (!e) return;
      if (sink) return sink.end(x.fail(e));
      throw e;
    }
    const json = parsed(text);
    obs.observe(json);
    this.recorder.finish(d, obs, client);
    const status = d.upstream.status;
    const type = String(d.upstream.headers['content-type'] ?? 'application/json');
    if (status >= 400) {
      const e = neuronError(status, json, `upstream returned HTTP ${status}`, retryAfter(d.upstream.headers));
      if (sink) return sink.end(x.fail(e));
      if (!x.passThrough) throw e;
      const retry = d.upstream.headers['retry-after'];
      return client.send(status, text, { 'content-type': type, ...(retry ? { 'retry-after': String(retry) } : {}) });
    }
    if (sink) return sink.end(x.fail(new CortexError('upstream_error', 'upstream did not stream')));
    if (x.passThrough) return client.send(status, text, { 'content-type': type });
    return client.send(200, x.answer(json ?? text));
  }
}
