/**
 * One request pipeline for every dialect: the request's scope (drain, client gone), routing,
 * dispatch and retry, the event stream opened lazily (at once when the request must wait for a load,
 * so it pings meanwhile), each upstream payload parsed once, neuron errors turned into one
 * CortexError by their code, and the request's records. An answer cut by a neuron fault goes on on
 * another replica (ResumeService, Transcript), spliced into the same stream. A dialect adapter only
 * prepares the Exchange: what to send, and its own frames and bodies.
 */
import { Inject, Injectable, Logger } from '@nestjs/common';
import { type CortexConfig, CortexError, sseLimits } from '@app/core';
import { SseParser } from '@app/translate';
import { BudgetService } from '../budgets/budget.service';
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
import { type Fault, ResumeService } from './resume.service';
import { StreamObserver } from './stream-observer';
import { LazySink, Progress } from './progress';
import { Diverged, Transcript } from './transcript';

function parsed(text: string): Record<string, unknown> | null {
  try {
    const v: unknown = JSON.parse(text);
    return v && typeof v === 'object' ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

const DONE_FRAME = 'data: [DONE]\n\n';
/**
 * The ledger's model for a request no neuron took (an unknown model, no replica): one line, not one
 * per name a caller makes up.
 */
const UNROUTED = '(unrouted)';

@Injectable()
export class ProxyPipeline {
  private readonly log = new Logger('Proxy');

  constructor(
    @Inject(GATEWAY_CONFIG) private readonly cfg: CortexConfig,
    private readonly drain: DrainService,
    private readonly dispatcher: DispatcherService,
    private readonly recorder: RequestRecorder,
    private readonly resume: ResumeService,
    private readonly budgets: BudgetService,
  ) {}

  async run(x: Exchange, client: Client): Promise<void> {
    const allowance = this.resume.allowance(x, client);
    // A budgeted caller's worst case is reserved before anything is sent (a refusal is its 429).
    const reservation = await this.budgets.reserve(client.caller, x);
    const progress = new Progress(allowance, x.stream && allowance > 0 ? new Transcript() : null, reservation);
    let scope: RequestScope;
    try {
      scope = new RequestScope(client, (stop) => this.drain.enter(stop));
    } catch (err) {
      progress.settle(); // refused (a drain): nothing was spent
      throw err;
    }
    try {
      await this.serve(x, client, scope, progress);
    } catch (err) {
      progress.outcome = { model: progress.outcome?.model ?? UNROUTED, usage: null, failed: true };
      throw err;
    } finally {
      scope.close();
      this.recorder.account(client, progress.outcome ?? { model: UNROUTED, usage: null, failed: true });
      progress.settle();
    }
  }

  private async serve(x: Exchange, client: Client, scope: RequestScope, progress: Progress): Promise<void> {
    const events = new LazySink(() => {
      const sink = client.openStream({
        ...sseLimits(this.cfg.limits),
        ...(x.ping ? { pingFrame: x.ping } : {}),
        onDrop: (why) => this.log.warn(`dropped a client stream that ${why.replace(/_/g, ' ')}`),
      });
      if (x.start) void sink.write(x.start());
      return sink;
    });
    let d: Dispatch | null;
    try {
      d = await this.dispatcher.dispatch(x, client, scope, () => x.stream && events.open());
    } catch (err) {
      const node = ResumeService.brokeAt(err);
      const again =
        node && progress.canResume && !scope.signal.aborted ? await this.again(x, client, scope, progress, node) : null;
      if (!again) {
        const e = scope.shuttingDown ? scope.failure(err, 'none')! : toCortexError(err);
        if (!events.opened) throw e;
        return events.opened.end(x.fail(e));
      }
      d = again;
    }
    for (;;) {
      const sse = String(d.upstream.headers['content-type'] ?? '').includes('text/event-stream');
      const fault =
        d.upstream.status < 400 && sse
          ? await this.stream(x, d, client, scope, events.open(), progress)
          : await this.whole(x, d, client, scope, events.opened, progress);
      if (!fault) return;
      const again = await this.again(x, client, scope, progress, fault.node);
      if (!again) {
        // No replica could go on: the answer ends as it would have without resuming.
        if (events.opened) return this.endStream(x, events.opened, fault.error);
        throw fault.error;
      }
      d = again;
    }
  }

  /** The next replica's leg, or null when none could take it. */
  private async again(x: Exchange, client: Client, scope: RequestScope, p: Progress, node: string) {
    p.failed.push(node);
    return this.resume.dispatch(p.next(x), client, scope, p.failed);
  }

  private endStream(x: Exchange, sink: EventSink, e: CortexError): void {
    void sink.write(x.fail(e));
    void x.done?.();
    sink.end();
  }

  /**
   * An upstream event stream, parsed once: observed, and passed through or translated. Returns the
   * fault when another replica may go on (the stream is left open for it).
   */
  private async stream(
    x: Exchange,
    d: Dispatch,
    client: Client,
    scope: RequestScope,
    sink: EventSink,
    p: Progress,
  ): Promise<Fault | null> {
    const obs = new StreamObserver();
    const parser = new SseParser();
    const decoder = new TextDecoder();
    const t = p.transcript;
    // A continuation's chunks are rewritten, so they are framed again; a first leg passes bytes through.
    const spliced = p.resumes > 0;
    const raw = x.passThrough && !spliced;
    // Passed through whole events only: a fault must not leave half an event with the client.
    let held: Buffer | null = null;
    let failure: string | undefined;
    let fault: Fault | null = null;
    try {
      for await (const chunk of d.upstream.body) {
        let out = '';
        let refused: CortexError | null = null;
        for (const item of parser.push(decoder.decode(chunk as Buffer, { stream: true }))) {
          if (item.kind === 'done') {
            out += x.passThrough ? DONE_FRAME : x.end();
            continue;
          }
          let json = parsed(item.data);
          let data = item.data;
          if (json?.error) {
            const e = neuronError(null, json, 'upstream error');
            if (t && ResumeService.isFault(e) && p.canResume) {
              refused = e;
              break;
            }
            obs.observe(json);
            out += x.fail(e);
            continue;
          }
          if (spliced && t) {
            json = t.splice(json);
            if (!json) continue;
            data = JSON.stringify(json);
          } else t?.note(json);
          obs.observe(json);
          out += x.passThrough ? `data: ${data}\n\n` : x.data({ raw: data, json });
        }
        if (refused) {
          await sink.write(out);
          fault = { error: refused, node: d.route.node.name };
          failure = refused.code;
          break;
        }
        if (raw && !t) await sink.write(chunk as Buffer);
        else if (raw) {
          const all: Buffer = held ? Buffer.concat([held, chunk as Buffer]) : (chunk as Buffer);
          const cut = all.lastIndexOf('\n\n') + 2;
          held = cut < all.length ? all.subarray(cut) : null;
          if (cut > 1) await sink.write(all.subarray(0, cut));
        } else if (out) await sink.write(out);
      }
      if (!fault && !x.passThrough) await sink.write(x.end());
    } catch (err) {
      const e =
        err instanceof Diverged
          ? new CortexError('upstream_stream_error', err.message)
          : scope.failure(err, d.route.node.name);
      failure = e ? e.code : 'client_disconnect';
      if (err instanceof Diverged) this.resume.count(d.route.modelId, 'diverged');
      else if (e && t && e.code === 'upstream_stream_error' && p.canResume)
        fault = { error: e, node: d.route.node.name };
      if (e && !fault) {
        this.log.warn(`stream from ${d.route.node.name} ended early: ${e.message}`);
        await sink.write(x.fail(e));
      }
    }
    p.outcome = this.recorder.finish(d, obs, client, failure, p.resumes);
    if (fault) return fault;
    await x.done?.();
    p.settle();
    sink.end();
    return null;
  }

  /**
   * A whole answer: JSON, or an error the neuron answered (ending a stream already open with it).
   * Returns the fault when another replica may answer instead (nothing was sent yet).
   */
  private async whole(
    x: Exchange,
    d: Dispatch,
    client: Client,
    scope: RequestScope,
    sink: EventSink | undefined,
    p: Progress,
  ): Promise<Fault | null> {
    const obs = new StreamObserver();
    let text: string;
    try {
      text = await d.upstream.body.text();
    } catch (err) {
      const e = scope.failure(err, d.route.node.name);
      p.outcome = this.recorder.finish(d, obs, client, e?.code ?? 'client_disconnect', p.resumes);
      if (!e) return null;
      if (p.canResume) return { error: e, node: d.route.node.name };
      if (sink) return (this.endStream(x, sink, e), null);
      throw e;
    }
    const json = parsed(text);
    obs.observe(json);
    p.outcome = this.recorder.finish(d, obs, client, undefined, p.resumes);
    const status = d.upstream.status;
    const type = String(d.upstream.headers['content-type'] ?? 'application/json');
    if (status >= 400) {
      const e = neuronError(status, json, `upstream returned HTTP ${status}`, retryAfter(d.upstream.headers));
      if (p.canResume && ResumeService.isFault(e)) return { error: e, node: d.route.node.name };
      if (sink) return (this.endStream(x, sink, e), null);
      if (!x.passThrough) throw e;
      const retry = d.upstream.headers['retry-after'];
      await client.send(status, text, { 'content-type': type, ...(retry ? { 'retry-after': String(retry) } : {}) });
      return null;
    }
    if (sink) return (this.endStream(x, sink, new CortexError('upstream_error', 'upstream did not stream')), null);
    p.settle();
    if (x.passThrough) await client.send(status, text, { 'content-type': type });
    else await client.send(200, await x.answer(json ?? text));
    return null;
  }
}
