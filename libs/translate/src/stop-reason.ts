/**
 * OpenAI finish_reason → Anthropic stop_reason. `stop` becomes `stop_sequence` only when the upstream
 * names the stop string that matched (vLLM/cortex `stop_reason`); otherwise it is a natural end.
 */
import type { AnthropicStopReason } from './anthropic.types';
import type { OpenAIFinishReason } from './openai.types';

export function mapStopReason(
  finish: OpenAIFinishReason | undefined,
  matched: unknown,
): { stop_reason: AnthropicStopReason; stop_sequence: string | null } {
  if (finish === 'stop' && typeof matched === 'string' && matched.length > 0) {
    return { stop_reason: 'stop_sequence', stop_sequence: matched };
  }
  if (finish === 'length') return { stop_reason: 'max_tokens', stop_sequence: null };
  if (finish === 'tool_calls' || finish === 'function_call') return { stop_reason: 'tool_use', stop_sequence: null };
  if (finish === 'content_filter') return { stop_reason: 'refusal', stop_sequence: null };
  return { stop_reason: 'end_turn', stop_sequence: null };
}
