/**
 * Nest facade over the pure @app/translate library, so the Anthropic path depends on an injectable
 * (and logs what the translator dropped or had to repair).
 */
import { Injectable, Logger } from '@nestjs/common';
import {
  AnthropicStreamTranslator,
  type OpenAIChatCompletion,
  type StreamOptions,
  anthropicToOpenAI,
  countTokensToOpenAI,
  openAIErrorToAnthropic,
  openAIToAnthropic,
  openAIToResponse,
  type ResponseContext,
  ResponsesStreamTranslator,
  responsesToOpenAI,
} from '@app/translate';

@Injectable()
export class TranslationService {
  private readonly log = new Logger('Translation');

  /** The OpenAI request for an Anthropic one, and whether the client asked for thinking blocks. */
  request(body: unknown) {
    const out = anthropicToOpenAI(body);
    if (out.dropped.length) this.log.debug(`dropped Anthropic fields: ${out.dropped.join(', ')}`);
    return { request: out.request, thinking: out.thinking };
  }

  countTokens(body: unknown) {
    return countTokensToOpenAI(body);
  }

  response(completion: OpenAIChatCompletion, requestedModel: string, thinking = false) {
    const { message, warnings } = openAIToAnthropic(completion, requestedModel, { thinking });
    warnings.forEach((w) => this.log.warn(w));
    return message;
  }

  stream(opts: StreamOptions): AnthropicStreamTranslator {
    return new AnthropicStreamTranslator(opts);
  }

  /** The chat request for a Responses one; `history` is the stored conversation it continues. */
  responsesRequest(body: unknown, history?: unknown[]) {
    const out = responsesToOpenAI(body, { history });
    const tools = out.dropped.filter((d) => d.startsWith('tools['));
    const fields = out.dropped.filter((d) => !d.startsWith('tools['));
    if (tools.length) this.log.warn(`Responses request: dropped tools this fleet cannot run: ${tools.join(', ')}`);
    if (fields.length) this.log.debug(`Responses request: left out ${fields.join(', ')}`);
    return out;
  }

  responsesResponse(completion: OpenAIChatCompletion, ctx: ResponseContext) {
    return openAIToResponse(completion, ctx);
  }

  responsesStream(ctx: ResponseContext): ResponsesStreamTranslator {
    return new ResponsesStreamTranslator(ctx);
  }

  error(status: number, body: unknown) {
    return openAIErrorToAnthropic(status, body);
  }
}
