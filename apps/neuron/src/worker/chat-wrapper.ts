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
  return nlc.resolveChatWrapper(model);
}
