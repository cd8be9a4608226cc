/**
 * OpenAI Responses as an Exchange: the request (with the stored conversation it continues)
 * translated to chat, and the answer translated back — a response object, or the Responses event
 * stream, ended by response.failed on a failure. Completed responses are stored unless the client
 * said store: false.
 */
import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { CortexError } from '@app/core';
import {
  type OpenAIChatChunk,
  type OpenAIChatCompletion,
  type ResponseContext,
  type ResponseObject,
  type ResponseStreamEvent,
  responsesFrame,
} from '@app/translate';
import type { Caller } from '../auth/caller';
import { CLOCK, type Clock } from '../config/gateway.tokens';
import { ResponseStore, notFound, ownerOf } from '../responses/response-store.service';
import { TranslationService } from '../translation/translation.service';
import type { Exchange } from './exchange';
import { requireModel } from './openai.adapter';

function frames(events: ResponseStreamEvent[]): string {
  return events.map(responsesFrame).join('');
}

@Injectable()
export class ResponsesAdapter {
  private readonly log = new Logger('Responses');

  constructor(
    private readonly translation: TranslationService,
    private readonly store: ResponseStore,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async create(raw: unknown, caller: Caller | null): Promise<Exchange> {
    const { body, model } = requireModel(raw);
    const owner = ownerOf(caller);
    const resolved = { ...body, input: await this.resolveReferences(owner, body.input) };
    const t = this.translation.responsesRequest(resolved, await this.history(owner, body.previous_response_id));
    const ctx: ResponseContext = {
      id: `resp_${randomUUID().replace(/-/g, '')}`,
      createdAt: Math.floor(this.clock.now() / 1000),
      model,
      echo: t.echo,
      names: t.names,
      sealReasoning: t.sealReasoning,
    };
    const translator = this.translation.responsesStream(ctx);
    // Kept before the client has the answer, so its next turn finds it on any replica.
    const keep = async (response: ResponseObject) => {
      if (response.status !== 'failed' && response.store) await this.store.put(owner, response, t.input);
    };
    return {
      api: 'responses',
      path: '/v1/chat/completions',
      model,
      body: t.request,
      stream: t.request.stream === true,
      passThrough: false,
      start: () => frames(translator.start()),
      data: (d) => (d.json ? frames(translator.push(d.json as unknown as OpenAIChatChunk)) : ''),
      end: () => frames(translator.end()),
      fail: (e) => frames(translator.fail(e.code, e.message)),
      answer: async (completion) => {
        const response = this.translation.responsesResponse(completion as OpenAIChatCompletion, ctx);
        await keep(response);
        return response;
      },
      done: async () => {
        translator.warnings.forEach((w) => this.log.warn(w));
        if (translator.result) await keep(translator.result);
      },
    };
  }

  /**
   * `item_reference` items (the AI SDK sends them for the reasoning and calls of a stored response)
   * replaced by the stored items they name: any stored response of this account, not only the
   * previous one. An id this account cannot see is a 400 naming it.
   */
  private async resolveReferences(owner: string, input: unknown): Promise<unknown> {
    if (!Array.isArray(input)) return input;
    const out: unknown[] = [];
    for (const [i, item] of input.entries()) out.push(await this.resolved(owner, item, i));
    return out;
  }

  /** One input item, an `item_reference` replaced by the stored item it names. */
  private async resolved(owner: string, item: unknown, i: number): Promise<unknown> {
    const ref = item as { type?: unknown; id?: unknown } | null;
    if (ref?.type !== 'item_reference') return item;
    const param = `input[${i}].id`;
    if (typeof ref.id !== 'string' || !ref.id)
      throw new CortexError('invalid_body', `${param}: expected an item id`, { param });
    const found = await this.store.item(owner, ref.id);
    if (!found) {
      throw new CortexError(
        'invalid_body',
        `${param}: no stored item '${ref.id}' for this account (items are kept with their responses, for a while; send the item itself)`,
        { param },
      );
    }
    return found;
  }

  /** The stored conversation a request continues, or a 404 naming what is missing. */
  private async history(owner: string, previous: unknown): Promise<unknown[] | undefined> {
    if (typeof previous !== 'string') return undefined;
    const chain = await this.store.chain(owner, previous);
    if (!chain) throw notFound(previous, 'previous_response_id');
    if ('missing' in chain) {
      throw new CortexError(
        'not_found',
        `previous_response_id: response '${previous}' continues '${chain.missing}', which is no longer stored`,
        { param: 'previous_response_id' },
      );
    }
    return chain.items;
  }
}
