/** The llama-architecture GGUF header and the atomic file write that both kinds of generated model share. */
import { mkdirSync, renameSync } from 'node:fs';
import { dirname } from 'node:path';
import { type GgufTensorSpec, type GgufValue, type WriteProgress, writeGguf } from './gguf-writer';
import { SPECIAL_IDS } from './vocab';

export interface LlamaHeader {
  name: string;
  fileType: number;
  contextLength: number;
  nEmbd: number;
  nLayer: number;
  nFf: number;
  nHead: number;
  nHeadKv: number;
  headDim: number;
  ropeFreqBase: number;
  rmsEpsilon: number;
  vocab: { tokens: readonly string[]; scores: ArrayLike<number>; types: ArrayLike<number> };
  chatTemplate: string;
}

const u32 = (value: number): GgufValue => ({ type: 'u32', value });

export function llamaMetadata(h: LlamaHeader): Array<readonly [string, GgufValue]> {
  return [
    ['general.architecture', { type: 'str', value: 'llama' }],
    ['general.name', { type: 'str', value: h.name }],
    ['general.alignment', u32(32)],
    ['general.file_type', u32(h.fileType)],
    ['llama.context_length', u32(h.contextLength)],
    ['llama.embedding_length', u32(h.nEmbd)],
    ['llama.block_count', u32(h.nLayer)],
    ['llama.feed_forward_length', u32(h.nFf)],
    ['llama.attention.head_count', u32(h.nHead)],
    ['llama.attention.head_count_kv', u32(h.nHeadKv)],
    ['llama.rope.dimension_count', u32(h.headDim)],
    ['llama.rope.freq_base', { type: 'f32', value: h.ropeFreqBase }],
    ['llama.attention.layer_norm_rms_epsilon', { type: 'f32', value: h.rmsEpsilon }],
    ['llama.vocab_size', u32(h.vocab.tokens.length)],
    ['tokenizer.ggml.model', { type: 'str', value: 'llama' }],
    ['tokenizer.ggml.tokens', { type: 'arr_str', value: h.vocab.tokens }],
    ['tokenizer.ggml.scores', { type: 'arr_f32', value: h.vocab.scores }],
    ['tokenizer.ggml.token_type', { type: 'arr_i32', value: h.vocab.types }],
    ['tokenizer.ggml.bos_token_id', u32(SPECIAL_IDS.bos)],
    ['tokenizer.ggml.eos_token_id', u32(SPECIAL_IDS.imEnd)],
    ['tokenizer.ggml.unknown_token_id', u32(SPECIAL_IDS.unk)],
    ['tokenizer.ggml.add_bos_token', { type: 'bool', value: true }],
    ['tokenizer.ggml.add_eos_token', { type: 'bool', value: false }],
    ['tokenizer.chat_template', { type: 'str', value: h.chatTemplate }],
  ];
}

/** Writes beside the target and renames, so a crash never leaves a truncated file under the real name. */
export function writeModelFile(
  out: string,
  metadata: Array<readonly [string, GgufValue]>,
  tensors: GgufTensorSpec[],
  onProgress?: (p: WriteProgress) => void,
): number {
  mkdirSync(dirname(out), { recursive: true });
  const partial = `${out}.partial`;
  const bytes = writeGguf(partial, metadata, tensors, onProgress);
  renameSync(partial, out);
  return bytes;
}
