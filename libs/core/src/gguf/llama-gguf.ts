/** The llama-family GGUF header (llama or qwen3 architecture, any tokenizer) and the atomic file write both kinds of generated model share. */
import { mkdirSync, renameSync } from 'node:fs';
import { dirname } from 'node:path';
import { type GgufTensorSpec, type GgufValue, type WriteProgress, writeGguf } from './gguf-writer';
import type { GgufVocab } from './hf-tokenizer';

/** Architectures the generated models use: llama's blocks, and qwen3's (llama's plus per-head q/k norms). */
export type GeneratedArch = 'llama' | 'qwen3';

export interface LlamaHeader {
  arch?: GeneratedArch;
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
  vocab: GgufVocab;
}

const u32 = (value: number): GgufValue => ({ type: 'u32', value });

export function llamaMetadata(h: LlamaHeader): Array<readonly [string, GgufValue]> {
  const arch = h.arch ?? 'llama';
  const v = h.vocab;
  const optionalId = (key: string, id: number | undefined) => (id === undefined ? [] : [[key, u32(id)] as const]);
  return [
    ['general.architecture', { type: 'str', value: arch }],
    ['general.name', { type: 'str', value: h.name }],
    ['general.alignment', u32(32)],
    ['general.file_type', u32(h.fileType)],
    [`${arch}.context_length`, u32(h.contextLength)],
    [`${arch}.embedding_length`, u32(h.nEmbd)],
    [`${arch}.block_count`, u32(h.nLayer)],
    [`${arch}.feed_forward_length`, u32(h.nFf)],
    [`${arch}.attention.head_count`, u32(h.nHead)],
    [`${arch}.attention.head_count_kv`, u32(h.nHeadKv)],
    [`${arch}.rope.dimension_count`, u32(h.headDim)],
    [`${arch}.rope.freq_base`, { type: 'f32', value: h.ropeFreqBase }],
    [`${arch}.attention.layer_norm_rms_epsilon`, { type: 'f32', value: h.rmsEpsilon }],
    [`${arch}.vocab_size`, u32(v.tokens.length)],
    ['tokenizer.ggml.model', { type: 'str', value: v.model }],
    ...(v.pre ? [['tokenizer.ggml.pre', { type: 'str', value: v.pre }] as const] : []),
    ['tokenizer.ggml.tokens', { type: 'arr_str', value: v.tokens }],
    ...(v.scores ? [['tokenizer.ggml.scores', { type: 'arr_f32', value: v.scores }] as const] : []),
    ['tokenizer.ggml.token_type', { type: 'arr_i32', value: v.types }],
    ...(v.merges ? [['tokenizer.ggml.merges', { type: 'arr_str', value: v.merges }] as const] : []),
    ...optionalId('tokenizer.ggml.bos_token_id', v.bos),
    ['tokenizer.ggml.eos_token_id', u32(v.eos)],
    ...optionalId('tokenizer.ggml.unknown_token_id', v.unk),
    ...optionalId('tokenizer.ggml.padding_token_id', v.pad),
    ['tokenizer.ggml.add_bos_token', { type: 'bool', value: v.addBos }],
    ['tokenizer.ggml.add_eos_token', { type: 'bool', value: false }],
    ...(v.addSpacePrefix !== undefined
      ? [['tokenizer.ggml.add_space_prefix', { type: 'bool', value: v.addSpacePrefix }] as const]
      : []),
    ...(v.chatTemplate ? [['tokenizer.chat_template', { type: 'str', value: v.chatTemplate }] as const] : []),
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
