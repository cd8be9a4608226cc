/**
 * Which chat wrapper parses a model's output: node-llama-cpp's choice from the model's template,
 * unless the GGUF names one in `cortex.chat_wrapper` (the scripted test models do: "qwen", for
 * Qwen3 thoughts and tool calls). Resolved once per load: resolving renders the Jinja template
 * several times (~200 ms).
 */
import type { ChatWrapper, LlamaModel, Nlc } from './engine-types';

export function chatWrapperFor(nlc: Nlc, model: LlamaModel): ChatWrapper {
  const named = (model.fileInfo.metadata as { cortex?: { chat_wrapper?: unknown } }).cortex?.chat_wrapper;
  if (typeof named === 'string') return nlc.resolveChatWrapper(model, { type: named as never });
  return nlc.resolveChatWrapper(model, { customWrapperSettings: WRAPPER_SETTINGS });
}

/**
 * Where node-llama-cpp's choice renders history unlike the family's own template. Qwen's templates
 * put a tool's result inside <tool_response> as it is; node-llama-cpp's Qwen wrapper quotes a string
 * result as JSON unless told (it only checks templates against histories without tool calls).
 */
const WRAPPER_SETTINGS = { qwen: { _flatFunctionResultString: true } } as never;

type Response = Array<string | { type: string; segmentType?: string }>;

/**
 * A history as the wrapper should see it to render what the model's template renders. Qwen's
 * templates put a blank line after `</think>` before whatever follows (text or a tool call); the
 * model writes it, but a client gives back only the thought and the calls (or text without it).
 */
export function fitHistory<T extends { type: string; response?: Response }>(wrapperName: string, history: T[]): T[] {
  if (wrapperName !== 'Qwen') return history;
  return history.map((item) => {
    if (item.type !== 'model' || !item.response) return item;
    const response: Response = [];
    item.response.forEach((part, i) => {
      const prev = item.response![i - 1];
      const afterThought = typeof prev === 'object' && prev.segmentType === 'thought';
      if (afterThought && typeof part === 'string') response.push(`\n\n${part.replace(/^\n+/, '')}`);
      else if (afterThought) response.push('\n\n', part);
      else response.push(part);
    });
    return { ...item, response };
  });
}
