/**
 * OpenAI Responses through the fleet: the request (with the stored conversation it continues) is
 * translated to chat, routed and sent to a neuron like any other, and the answer translated back:
 * a response object, or the Responses event stream. A failure after the stream started ends it with
 * response.failed. Completed responses are stored unless the client said store: false.
 */
import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { CortexError, type ErrorCode, SseStream } from '@app/core';
import {
  type ResponseContext,
  type ResponseObject,
  type ResponseStreamEvent,
  type ResponsesStreamTranslator,
  responsesFrame,
} from '@app/translate';
import { CLOCK, type Clock } from '../config/gateway.tokens';
import { neuronErrorCode } from '../upstream/upstream-error';
import { toCortexError } from '../errors/error.filters';
import { ResponseStore } from '../responses/response-store.service';
import { TranslationService } from '../translation/translation.service';
import { type Dispatch, ForwardService } from './forward.service';
import { requireModel } from './openai-proxy.service';
import type { RequestScope } from './request-scope';

type Headers = FastifyRequest['headers'];

/** Stored responses belong to the account that made them (anonymous callers share one). */
export function ownerOf(headers: Headers): string {
  const account = headers['x-cortex-account-id'];
  return typeof account === 'string' ? account : '';
}

function frames(events: ResponseStreamEvent[]): string {
  return events.map(responsesFrame).join('');
}

/** The code and message of an OpenAI error body (a neuron's answer or an error frame). */
function errorOf(body: unknown, fallback: string): { code: ErrorCode; message: string } {
  const message = (body as { error?: { message?: unknown } } | null)?.error?.message;
  return { code: neuronErrorCode(body) ?? 'upstream_error', message: typeof message === 'string' ? message : fallback };
}

interface Ask {
  ctx: ResponseContext;
  chat: Record<string, unknown>;
  input: unknown[];
  stream: boolean;
  owner: string;
}

@Injectable()
export class ResponsesProxyService {
  private readonly log = new Logger('Responses');

  constructor(
    private readonly forward: ForwardService,
    private readonly translation: TranslationService,
    private readonly store: ResponseStore,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async create(raw: unknown, req: FastifyRequest, reply: FastifyReply): Promise<void> {
    const ask = this.prepare(raw, req.headers);
    const scope = this.forward.open(reply);
    try {
      await this.proxy(ask, req, reply, scope);
    } finally {
      scope.close();
    }
  }

  /** The stored response, or a 404 naming the id. */
  get(id: string, headers: Headers): ResponseObject {
    const found = this.store.get(ownerOf(headers), id);
    if (!found) throw notFound(id, 'response_id');
    return found.response;
  }

  inputItems(id: string, headers: Headers) {
    const found = this.store.get(ownerOf(headers), id);
    if (!found) throw notFound(id, 'response_id');
    const ids = found.input.map((i) => (i as { id?: unknown }).id).filter((x) => typeof x === 'string');
    return {
      object: 'list',
      data: found.input,
      first_id: ids[0] ?? null,
      last_id: ids.at(-1) ?? null,
      has_more: false,
    };
  }

  delete(id: string, headers: Headers) {
    if (!this.store.delete(ownerOf(headers), id)) throw notFound(id, 'response_id');
    return { id, object: 'response', deleted: true };
  }

  private prepare(raw: unknown, headers: Headers): Ask {
    const { body, model } = requireModel(raw);
    const owner = ownerOf(headers);
    let history: unknown[] | undefined;
    const previous = body.previous_response_id;
    if (typeof previous === 'string') {
      const chain = this.store.chain(owner, previous);
      if (!chain) throw notFound(previous, 'previous_response_id');
      if ('missing' in chain) {
        throw new CortexError(
          'not_found',
          `previous_response_id: response '${previous}' continues '${chain.missing}', which this gateway no longer stores`,
          { param: 'previous_response_id' },
        );
      }
      history = chain.items;
    }
    const t = this.translation.responsesRequest(body, history);
    const ctx: ResponseContext = {
      id: `resp_${randomUUID().replace(/-/g, '')}`,
      createdAt: Math.floor(this.clock.now() / 1000),
      model,
      echo: t.echo,
      names: t.names,
      sealReasoning: t.sealReasoning,
    };
    const chat = t.request as unknown as Record<string, unknown>;
    return { ctx, chat, input: t.input, stream: t.request.stream === true, owner };
  }

  private async proxy(ask: Ask, req: FastifyRequest, reply: FastifyReply, scope: RequestScope): Promise<void> {
    const translator = this.translation.responsesStream(ask.ctx);
    let sse: SseStream | undefined;
    const startSse = () => {
      if (sse) return sse;
      sse = new SseStream(reply, this.forward.sseOptions());
      void sse.write(frames(translator.start()));
      return sse;
    };
    let d: Dispatch;
    try {
      const onWait = ask.stream ? startSse : undefined;
      d = await this.forward.dispatch(
        'responses',
        '/v1/chat/completions',
        ask.ctx.model,
        ask.chat,
        req.headers,
        scope,
        onWait,
      );
    } catch (err) {
      const e = scope.shuttingDown ? scope.failure(err, 'none')! : toCortexError(err);
      if (!sse) throw e;
      return (sse as SseStream).end(frames(translator.fail(e.code, e.message)));
    }
    if (!ask.stream || d.upstream.status >= 400) return this.passJson(d, ask, reply, scope, translator, sse);
    const out = startSse();
    await this.forward.translateStream(d, scope, out, {
      data: (payload) => frames(this.onData(translator, payload)),
      end: () => frames(translator.end()),
      fail: (e) => frames(translator.fail(e.code, e.message)),
    });
    translator.warnings.forEach((w) => this.log.warn(w));
    if (translator.result) this.keep(ask, translator.result);
    out.end();
  }

  /** A non-streaming answer, or an error the neuron answered: translated whole. */
  private async passJson(
    d: Dispatch,
    ask: Ask,
    reply: FastifyReply,
    scope: RequestScope,
    translator: ResponsesStreamTranslator,
    sse?: SseStream,
  ): Promise<void> {
    let read: { body: unknown } | null;
    try {
      read = await this.forward.readJson(d, scope);
    } catch (e) {
      const err = e as CortexError;
      if (sse) return sse.end(frames(translator.fail(err.code, err.message)));
      throw e;
    }
    if (read === null) return;
    const parsed = read.body;
    if (d.upstream.status >= 400) {
      const { code, message } = errorOf(parsed, `upstream returned HTTP ${d.upstream.status}`);
      if (sse) return sse.end(frames(translator.fail(code, message)));
      this.forward.passRetryAfter(d, reply);
      const envelope = (parsed as { error?: unknown } | null)?.error
        ? parsed
        : new CortexError(code, message).toOpenAI();
      await reply.status(d.upstream.status).send(envelope);
      return;
    }
    const response = this.translation.responsesResponse(parsed as never, ask.ctx);
    this.keep(ask, response);
    await reply.status(200).send(response);
  }

  private onData(translator: ResponsesStreamTranslator, data: string): ResponseStreamEvent[] {
    let obj: Record<string, unknown>;
    try {
      obj = JSON.parse(data) as Record<string, unknown>;
    } catch {
      return [];
    }
    if (obj.error) {
      const { code, message } = errorOf(obj, 'upstream error');
      return translator.fail(code, message);
    }
    return translator.push(obj as never);
  }

  private keep(ask: Ask, response: ResponseObject): void {
    if (response.status === 'failed' || !response.store) return;
    this.store.put(ask.owner, response, ask.input);
  }
}

function notFound(id: string, param: string): CortexError {
  return new CortexError(
    'not_found',
    `${param}: no stored response '${id}' (responses are kept per gateway, for a while)`,
    {
      param,
    },
  );
}
