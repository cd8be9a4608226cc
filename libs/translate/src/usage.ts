/** OpenAI usage → Anthropic usage (cache reads reported when the upstream knows them). */
import type { AnthropicUsage } from './anthropic.types';
import type { OpenAIUsage } from './openai.types';

export function mapUsage(u: OpenAIUsage | null | undefined): AnthropicUsage {
  const usage: AnthropicUsage = { input_tokens: u?.prompt_tokens ?? 0, output_tokens: u?.completion_tokens ?? 0 };
  const cached = u?.prompt_tokens_details?.cached_tokens;
  if (typeof cached === 'number' && cached > 0) {
    usage.cache_read_input_tokens = cached;
    usage.input_tokens = Math.max(0, usage.input_tokens - cached);
  }
  return usage;
}
