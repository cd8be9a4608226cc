/**
 * Non-streaming OpenAI chat completion → Anthropic message. Unlike the reference, tool calls are kept
 * as tool_use blocks (input parsed from the argument string); unparsable arguments become {} and a
 * warning the caller logs.
 */
import type { AnthropicContentBlock, AnthropicMessage } from './anthropic.types';
import { isObject } from './check';
import { TranslationError } from './errors';
import type { OpenAIChatCompletion } from './openai.types';
import { mapStopReason } from './stop-reason';
import { mapUsage } from './usage';

export interface ResponseTranslation {
  message: AnthropicMessage;
  warnings: string[];
}

/** Parses tool-call arguments; `{}` plus a warning when they are not a JSON object. */
export function parseToolInput(args: string | undefined, name: string, warnings: string[]): object {
  if (!args || !args.trim()) return {};
  try {
    const parsed: unknown = JSON.parse(args);
    if (isObject(parsed)) return parsed;
    warnings.push(`tool call "${name}": arguments are JSON but not an object; sent {} instead`);
  } catch {
    warnings.push(`tool call "${name}": arguments are not valid JSON; sent {} instead`);
  }
  return {};
}

export function messageId(upstreamId: string | undefined): string {
  const id = upstreamId && upstreamId.length ? upstreamId.replace(/^chatcmpl-/, '') : 'cortex';
  return `msg_${id}`;
}

/**
 * Signature of the thinking blocks cortex produces. Anthropic signs its own; a client sends the
 * signature back with the block, and cortex ignores it.
 */
export const THINKING_SIGNATURE = 'cortex-local-thinking';

export function openAIToAnthropic(
  completion: OpenAIChatCompletion,
  requestedModel?: string,
  opts: { thinking?: boolean } = {},
): ResponseTranslation {
  if (!isObject(completion) || !Array.isArray(completion.choices) || completion.choices.length === 0) {
    throw new TranslationError('upstream', 'upstream returned a malformed chat completion', null, 'upstream_error');
  }
  const choice = completion.choices[0]!;
  const warnings: string[] = [];
  const content: AnthropicContentBlock[] = [];
  const text = typeof choice.message?.content === 'string' ? choice.message.content : '';
  const calls = choice.message?.tool_calls ?? [];
  const thought = choice.message?.reasoning_content;
  if (opts.thinking && typeof thought === 'string' && thought) {
    content.push({ type: 'thinking', thinking: thought, signature: THINKING_SIGNATURE });
  }
  // Whitespace beside tool calls (the newline before a call) is not an answer: no empty text block.
  if (text.trim() || calls.length === 0) content.push({ type: 'text', text });
  for (const call of calls) {
    const name = call.function?.name ?? '';
    content.push({
      type: 'tool_use',
      id: call.id,
      name,
      input: parseToolInput(call.function?.arguments, name, warnings),
    });
  }
  const finish = calls.length && choice.finish_reason === 'stop' ? 'tool_calls' : choice.finish_reason;
  const message: AnthropicMessage = {
    id: messageId(completion.id),
    type: 'message',
    role: 'assistant',
    model: requestedModel ?? completion.model,
    content,
    ...mapStopReason(finish, choice.stop_reason),
    usage: mapUsage(completion.usage),
  };
  return { message, warnings };
}
