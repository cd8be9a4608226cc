/**
 * Runs one golden fixture through the translator. Fixture kinds: request, count_tokens, response,
 * stream (input: chunks, "[DONE]", "ping", {"eof": true} or {"upstream_error": {status, message}}),
 * error_to_anthropic and error_to_openai; for the Responses API, responses_request (options.history:
 * earlier items), responses_response and responses_stream (options.request: the Responses request
 * the answer is for).
 */
import {
  AnthropicStreamTranslator,
  TranslationError,
  anthropicErrorToOpenAI,
  anthropicToOpenAI,
  countTokensToOpenAI,
  openAIErrorToAnthropic,
  openAIToAnthropic,
  openAIToResponse,
  responsesToOpenAI,
  ResponsesStreamTranslator,
  type ResponseContext,
} from '../src';
import type { OpenAIChatChunk, OpenAIChatCompletion } from '../src';

export interface Fixture {
  description: string;
  kind:
    | 'request'
    | 'count_tokens'
    | 'response'
    | 'stream'
    | 'error_to_anthropic'
    | 'error_to_openai'
    | 'responses_request'
    | 'responses_response'
    | 'responses_stream';
  input: unknown;
  options?: {
    model?: string;
    inputTokens?: number;
    thinking?: boolean;
    liveTools?: boolean;
    history?: unknown[];
    request?: unknown;
  };
  expected?: unknown;
}

/** The context a Responses answer is translated in: the request's echo and names, fixed ids. */
function responsesContext(f: Fixture): ResponseContext {
  const t = responsesToOpenAI(f.options?.request);
  return {
    id: 'resp_golden',
    createdAt: 1_796_000_000,
    model: t.request.model,
    echo: t.echo,
    names: t.names,
    sealReasoning: t.sealReasoning,
  };
}

function responsesRequest(f: Fixture): unknown {
  const t = responsesToOpenAI(f.input, { history: f.options?.history });
  return { request: t.request, echo: t.echo, dropped: t.dropped, sealReasoning: t.sealReasoning };
}

function guard(fn: () => unknown): unknown {
  try {
    return fn();
  } catch (err) {
    if (!(err instanceof TranslationError)) throw err;
    return { error: { kind: err.kind, message: err.message, param: err.param } };
  }
}

export function runFixture(f: Fixture): unknown {
  switch (f.kind) {
    case 'request':
      return guard(() => anthropicToOpenAI(f.input));
    case 'count_tokens':
      return guard(() => countTokensToOpenAI(f.input));
    case 'response':
      return guard(() =>
        openAIToAnthropic(f.input as OpenAIChatCompletion, f.options?.model, { thinking: f.options?.thinking }),
      );
    case 'error_to_anthropic': {
      const { status, body } = f.input as { status: number; body: unknown };
      return openAIErrorToAnthropic(status, body);
    }
    case 'error_to_openai': {
      const { status, body } = f.input as { status: number; body: unknown };
      return anthropicErrorToOpenAI(status, body);
    }
    case 'responses_request':
      return guard(() => responsesRequest(f));
    case 'responses_response':
      return guard(() => openAIToResponse(f.input as OpenAIChatCompletion, responsesContext(f)));
    case 'responses_stream': {
      const sut = new ResponsesStreamTranslator(responsesContext(f), { liveTools: f.options?.liveTools ?? true });
      const events: unknown[] = [];
      for (const item of f.input as unknown[]) {
        if (item === '[DONE]' || (item as { eof?: boolean }).eof) events.push(...sut.end());
        else if ((item as { upstream_error?: unknown }).upstream_error) {
          const e = (item as { upstream_error: { code: string; message: string } }).upstream_error;
          events.push(...sut.fail(e.code, e.message));
        } else events.push(...sut.push(item as OpenAIChatChunk));
      }
      return { events, warnings: sut.warnings };
    }
    case 'stream': {
      const sut = new AnthropicStreamTranslator(f.options);
      const events: unknown[] = [];
      for (const item of f.input as unknown[]) {
        if (item === '[DONE]') events.push(...sut.end());
        else if (item === 'ping') events.push(...sut.ping());
        else if ((item as { eof?: boolean }).eof) events.push(...sut.end());
        else if ((item as { upstream_error?: unknown }).upstream_error) {
          const e = (item as { upstream_error: { status: number; message: string } }).upstream_error;
          events.push(...sut.failFromUpstream(e.status, e.message));
        } else events.push(...sut.push(item as OpenAIChatChunk));
      }
      return { events, warnings: sut.warnings };
    }
  }
}
