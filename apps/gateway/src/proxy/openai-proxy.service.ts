/**
 * OpenAI routes through the fleet: the body is forwarded as sent (model rewritten when an alias was
 * used) and the answer streamed back chunk for chunk. A client disconnect aborts the neuron's work;
 * an upstream failure mid-stream ends the stream with an error frame, never a fake finish.
 */
import { Injectable, Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { CortexError, SseStream } from '@app/core';
import { toCortexError } from '../errors/error.filters';
import { type Dispatch, ForwardService } from './forward.service';
import { type RequestScope } from './request-scope';
import { StreamObserver } from './stream-observer';

export function requireModel(body: unknown): { body: Record<string, unknown>; model: string } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new CortexError('invalid_body', 'body: expected a JSON object', { param: 'body' });
  }
  const b = body as Record<string, unknown>;
  if (typeof b.model !== 'string' || !b.model) {
    throw new CortexError('missing_model_field', "model: expected the model's name (a non-empty string)", {
      param: 'model',
    });
  }
  return { body: b, model: b.model };
}

@Injectable()
export class OpenAIProxyService {
  private readonly log = new Logger('OpenAI');

  constructor(private readonly forward: ForwardService) {}

  async handle(path: string, raw: unknown, req: FastifyRequest, reply: FastifyReply): Promise<void> {
    const { body, model } = requireModel(raw);
    const scope = this.forward.open(reply);
    try {
      await this.proxy(path, body, model, req, reply, scope);
    } finally {
      scope.close();
    }
  }

  private async proxy(
    path: string,
    body: Record<string, unknown>,
    model: string,
    req: FastifyRequest,
    reply: FastifyReply,
    scope: RequestScope,
  ): Promise<void> {
    let sse: SseStream | undefined;
    const startSse = () => (sse ??= new SseStream(reply, this.forward.sseOptions()));
    let d: Dispatch;
    try {
      const onWait = body.stream === true ? startSse : undefined;
      d = await this.forward.dispatch('openai', path, model, body, req.headers, scope, onWait);
    } catch (err) {
      const e = scope.shuttingDown ? scope.failure(err, 'none')! : toCortexError(err);
      if (!sse) throw e;
      return sse.end(`data: ${JSON.stringify(e.toOpenAI())}\n\n`);
    }
    const obs = new StreamObserver();
    const streaming = String(d.upstream.headers['content-type'] ?? '').includes('text/event-stream');
    if (!streaming) return this.passJson(d, obs, reply, scope, sse);
    const out = startSse();
    let failure: string | undefined;
    try {
      for await (const chunk of d.upstream.body) {
        obs.feed(chunk as Buffer);
        await out.write(chunk as Buffer);
      }
    } catch (err) {
      const e = scope.failure(err, d.route.node.name);
      failure = e ? e.code : 'client_disconnect';
      if (e) {
        this.log.warn(`stream from ${d.route.node.name} ended early: ${e.message}`);
        await out.write(`data: ${JSON.stringify(e.toOpenAI())}\n\n`);
      }
    }
    this.forward.finish(d, obs, scope, failure);
    out.end();
  }

  /** A JSON answer (or an error the neuron answered instead of a stream), passed through as is. */
  private async passJson(d: Dispatch, obs: StreamObserver, reply: FastifyReply, scope: RequestScope, sse?: SseStream) {
    let text: string | null;
    try {
      text = await this.forward.readAll(d, obs, scope);
    } catch (e) {
      if (sse) return sse.end(`data: ${JSON.stringify((e as CortexError).toOpenAI())}\n\n`);
      throw e;
    }
    if (text === null) return;
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
      obs.observeJson(parsed);
    } catch {
      // passed through as text
    }
    this.forward.finish(d, obs, scope);
    if (sse) {
      const last = d.upstream.status >= 400 ? parsed : errorBody(new Error('upstream did not stream'));
      return sse.end(`data: ${JSON.stringify(last)}\n\n`);
    }
    this.forward.passRetryAfter(d, reply);
    await reply
      .status(d.upstream.status)
      .header('content-type', d.upstream.headers['content-type'] ?? 'application/json')
      .send(text);
  }
}

function errorBody(err: unknown) {
  return toCortexError(err).toOpenAI();
}
