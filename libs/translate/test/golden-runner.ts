/**
 * Runs one golden fixture through the translator. Fixture kinds: request, count_tokens, response,
 * stream (input: chunks, "[DONE]", "ping", {"eof": true} or {"upstream_error": {status, message}}),
 * error_to_anthropic and error_to_openai.
 */
import {
  AnthropicStreamTranslator,
  TranslationError,
  anthropicErrorToOpenAI,
  anthropicToOpenAI,
  countTokensToOpenAI,
  openAIErrorToAnthropic,
  openAIToAnthropic,
} from '../src';
import type { OpenAIChatChunk, OpenAIChatCompletion } from '../src';

export interface Fixture {
  description: string;
  kind: 'request' | 'count_tokens' | 'response' | 'stream' | 'error_to_anthropic' | 'error_to_openai';
  input: unknown;
  options?: { model?: string; inputTokens?: number; thinking?: boolean; liveTools?: boolean };
  expected?: unknown;
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
