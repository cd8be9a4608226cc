/**
 * node-llama-cpp types for the worker. The package is ESM-only, so CommonJS files may only import its
 * types (resolution-mode "import"); the module itself is loaded with a real dynamic import().
 */
export type Nlc = typeof import('node-llama-cpp', { with: { 'resolution-mode': 'import' } });
export type {
  Llama,
  LlamaContext,
  LlamaContextSequence,
  LlamaEmbeddingContext,
  LlamaModel,
  ChatHistoryItem,
  ChatModelFunctions,
  LlamaGrammar,
  ChatWrapper,
} from 'node-llama-cpp' with { 'resolution-mode': 'import' };
