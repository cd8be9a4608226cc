/**
 * Anthropic Messages through the fleet: the request is translated to OpenAI chat, routed and sent
 * to a neuron, and the answer translated back — JSON, or SSE events with pings. A failure after
 * the stream started ends it with an `error` event.
 */
import { Injectable, Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { type CortexError, SseStream, isErrorCode, kindOf, statusOf } from '@app/core';
import { type AnthropicStreamEvent, anthropicFrame } from '@app/translate';
import { toCortexError } from '../errors/error.filters';
import { RouterService } from '../router/router.service';
import { TranslationService } from '../translation/translation.service';
import { NeuronClient } from '../upstream/neuron-client';
import { type Dispatch, ForwardService } from './forward.service';
import type { RequestScope } from './request-scope';

@Injectable()
export class AnthropicProxyService {
  private readonly log = new Logger('Anthropic');

  constructor(
    private readonly forward: ForwardService,
    private readonly translation: TranslationService,
    private readonly router: RouterService,
    private readonly client: NeuronClient,
  ) {}

  async messages(raw: unknown, req: FastifyRequest, reply: FastifyReply): Promise<void> {
    const { request, thinking } = this.translation.request(raw);
    const scope = this.forward.open(reply);
    try {
      await this.proxy(request, thinking, req, reply, scope);
    } finally {
      scope.close();
    }
  }

  private async proxy(
    openai: ReturnType<TranslationService['request']>['request'],
    thinking: boolean,
    req: FastifyRequest,
    reply: FastifyReply,
    scope: RequestScope,
  ): Promise<void> {
    const requested = openai.model;
    // Neurons stream tool calls one at a time, so Anthropic clients get them live too.
    const translator = this.translation.stream({ model: requested, thinking, liveTools: true });
    let sse: SseStream | undefined;
    const startSse = () =>
      (sse ??= new SseStream(reply, { pingFrame: () => frames(translator.ping()), ...this.forward.sseOptions() }));
    let d: Dispatch;
    try {
      const onWait = openai.stream ? startSse : undefined;
      d = await this.forward.dispatch(
        'anthropic',
        '/v1/chat/completions',
        requested,
        openai as never,
        req.headers,
        scope,
        onWait,
      );
    } catch (err) {
      const e = scope.shuttingDown ? scope.failure(err, 'none')! : toCortexError(err);
      if (!sse) throw e;
      return sse.end(frames(translator.fail(e.kind, e.message)));
    }
    if (!openai.stream || d.upstream.status >= 400) return this.passJson(d, { requested, thinking }, reply, scope, sse);
    const out = startSse();
    await this.forward.translateStream(d, scope, out, {
      data: (payload) => frames(this.onData(translator, payload)),
      end: () => frames(translator.end()),
      fail: (e) => frames(translator.fail(e.kind, e.message)),
    });
    out.end();
  }

  /** A non-streaming answer, or an error the neuron answered: translated whole. */
  private async passJson(
    d: Dispatch,
    ask: { requested: string; thinking: boolean },
    reply: FastifyReply,
    scope: RequestScope,
    sse?: SseStream,
  ): Promise<void> {
    let read: { body: unknown } | null;
    try {
      read = await this.forward.readJson(d, scope);
    } catch (e) {
      if (sse) return sse.end(anthropicFrame((e as CortexError).toAnthropic()));
      throw e;
    }
    if (read === null) return;
    const parsed = read.body;
    if (d.upstream.status >= 400) {
      const mapped = this.translation.error(d.upstream.status, parsed);
      if (sse) return sse.end(anthropicFrame(mapped.body));
      this.forward.passRetryAfter(d, reply);
      await reply.status(mapped.status).send(mapped.body);
      return;
    }
    await reply.status(200).send(this.translation.response(parsed as never, ask.requested, ask.thinking));
  }

  private onData(translator: ReturnType<TranslationService['stream']>, data: string): AnthropicStreamEvent[] {
    let obj: Record<string, unknown>;
    try {
      obj = JSON.parse(data) as Record<string, unknown>;
    } catch {
      return [];
    }
    const err = obj.error as { message?: string; code?: string; type?: string } | undefined;
    if (err) {
      // Capacity and lifecycle codes (a restarting device, a queue timeout, a shutdown) are an
      // overload the client may retry; a failed device or anything unknown is an API error.
      const kind = isErrorCode(err.code) && err.code !== 'device_failed' ? kindOf(err.code) : 'internal';
      return translator.failFromUpstream(statusOf(kind), err.message ?? 'upstream error');
    }
    return translator.push(obj as never);
  }

  /** Exact count from the neuron's tokenizer; stops when the client leaves, and under the call deadline. */
  async countTokens(raw: unknown, reply: FastifyReply): Promise<{ input_tokens: number }> {
    const openai = this.translation.countTokens(raw);
    const scope = this.forward.open(reply);
    try {
      const route = await this.router.route(openai.model, { signal: scope.signal });
      const body = {
        model: route.modelId,
        messages: openai.messages,
        ...(openai.tools ? { tools: openai.tools } : {}),
      };
      const out = await this.client.tokenize(route.node, body, { signal: scope.signal });
      return { input_tokens: out.count };
    } finally {
      scope.close();
    }
  }
}

function frames(events: AnthropicStreamEvent[]): string {
  return events.map(anthropicFrame).join('');
}
