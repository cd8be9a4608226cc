/**
 * Anthropic Messages as an Exchange: the request translated to OpenAI chat, and the answer
 * translated back — a message, or SSE events with pings; a failure ends the stream with an `error`
 * event of the error's kind.
 */
import { Injectable } from '@nestjs/common';
import {
  type AnthropicStreamEvent,
  type OpenAIChatChunk,
  type OpenAIChatCompletion,
  anthropicFrame,
} from '@app/translate';
import { TranslationService } from '../translation/translation.service';
import type { Exchange } from './exchange';

function frames(events: AnthropicStreamEvent[]): string {
  return events.length === 1 ? anthropicFrame(events[0]!) : events.map(anthropicFrame).join('');
}

@Injectable()
export class AnthropicAdapter {
  constructor(private readonly translation: TranslationService) {}

  messages(raw: unknown): Exchange {
    const { request, thinking } = this.translation.request(raw);
    const model = request.model;
    // Neurons stream tool calls one at a time, so Anthropic clients get them live too.
    const translator = this.translation.stream({ model, thinking, liveTools: true });
    return {
      api: 'anthropic',
      path: '/v1/chat/completions',
      model,
      body: request,
      stream: request.stream === true,
      passThrough: false,
      ping: () => frames(translator.ping()),
      data: (d) => (d.json ? frames(translator.push(d.json as unknown as OpenAIChatChunk)) : ''),
      end: () => frames(translator.end()),
      fail: (e) => frames(translator.fail(e.kind, e.message)),
      answer: (body) => this.translation.response(body as OpenAIChatCompletion, model, thinking),
    };
  }
}
