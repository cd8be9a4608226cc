/**
 * What a loaded model can do, read from the model itself rather than assumed: an encoder-only
 * architecture (BERT family) only embeds; a generative one writes text, calls tools through its chat
 * wrapper (every node-llama-cpp wrapper has a function-call syntax) and embeds; it reasons when its
 * wrapper has a thought segment (Qwen3, DeepSeek R1, gpt-oss…).
 */
import type { ChatWrapper, LlamaModel } from './engine-types';

/** GGUF architectures that encode only (no causal generation). */
const ENCODERS = new Set([
  'bert',
  'nomic-bert',
  'nomic-bert-moe',
  'jina-bert-v2',
  'jina-bert-v3',
  't5encoder',
  'modern-bert',
]);

export function capabilitiesOf(model: LlamaModel, wrapper: ChatWrapper): string[] {
  const arch = String(
    (model.fileInfo.metadata as { general?: { architecture?: unknown } }).general?.architecture ?? '',
  );
  if (ENCODERS.has(arch)) return ['embeddings'];
  const thinks = wrapper.settings.segments?.thought !== undefined;
  return ['text', 'tools', 'embeddings', ...(thinks ? ['reasoning'] : [])];
}
