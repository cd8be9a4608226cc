/**
 * Builds a llama-architecture GGUF with seeded random weights. With `eog: 'never'` the residual
 * stream carries a constant +1 in dimension 0 and every control token's output row is [-100, 0, …],
 * so control tokens (EOS, <|im_end|>) and stray bytes are never sampled: generations run to max_tokens
 * exactly and are printable text.
 */
import { GgufTensorSpec, GgufValue, WriteProgress } from './gguf-writer';
import { llamaMetadata, writeModelFile } from './llama-gguf';
import { GGUF_FILE_TYPE, TensorDataType } from './quantize';
import { ModelShape, PRESETS, PresetName, countParams } from './presets';
import { SeededRandom } from './rng';
import { CHATML_TEMPLATE, TOKEN_TYPE, buildVocab, builtinGgufVocab } from './vocab';

export type EogMode = 'never' | 'random';

export interface MakeModelOptions {
  preset: PresetName;
  out: string;
  quant?: TensorDataType;
  seed?: number;
  context?: number;
  eog?: EogMode;
  onProgress?: (p: WriteProgress) => void;
}

export interface MakeModelResult {
  file: string;
  bytes: number;
  params: number;
  shape: ModelShape;
  quant: TensorDataType;
  seed: number;
}

export function makeModel(opts: MakeModelOptions): MakeModelResult {
  const quant = opts.quant ?? 'q8_0';
  const seed = opts.seed ?? 42;
  const eog = opts.eog ?? 'never';
  const shape: ModelShape = {
    ...PRESETS[opts.preset],
    contextLength: opts.context ?? PRESETS[opts.preset].contextLength,
  };
  const vocab = buildVocab(shape.nVocab);
  const suppressed = new Set<number>();
  vocab.types.forEach((type, id) => isSuppressed(type, vocab.tokens[id]!) && suppressed.add(id));
  const metadata = buildMetadata(opts.preset, shape, quant, vocab);
  const tensors = buildTensors(shape, quant, seed, eog === 'never' ? suppressed : null);
  const bytes = writeModelFile(opts.out, metadata, tensors, opts.onProgress);
  return { file: opts.out, bytes, params: countParams(shape), shape, quant, seed };
}

function buildMetadata(
  preset: string,
  s: ModelShape,
  quant: TensorDataType,
  vocab: ReturnType<typeof buildVocab>,
): Array<readonly [string, GgufValue]> {
  return llamaMetadata({
    name: `cortex-${preset}`,
    fileType: GGUF_FILE_TYPE[quant],
    contextLength: s.contextLength,
    nEmbd: s.nEmbd,
    nLayer: s.nLayer,
    nFf: s.nFf,
    nHead: s.nHead,
    nHeadKv: s.nHeadKv,
    headDim: s.nEmbd / s.nHead,
    ropeFreqBase: s.ropeFreqBase,
    rmsEpsilon: 1e-5,
    vocab: builtinGgufVocab(vocab, CHATML_TEMPLATE),
  });
}

/**
 * Tokens the `never` mode keeps out of sampling: control and unknown tokens, and the byte-fallback
 * tokens except tab and newline, so generated text is always valid, printable UTF-8.
 */
function isSuppressed(type: number, token: string): boolean {
  if (type === TOKEN_TYPE.control || type === TOKEN_TYPE.unknown) return true;
  return type === TOKEN_TYPE.byte && token !== '<0x09>' && token !== '<0x0A>';
}

/** Row filler for a weight of row length `rowLength`; `patch` may overwrite values per row. */
function randomFill(
  seed: number,
  stream: number,
  rowLength: number,
  patch?: (row: Float32Array, rowIndex: number) => void,
): GgufTensorSpec['fill'] {
  const rng = new SeededRandom(seed, stream);
  const limit = Math.sqrt(3 / rowLength);
  return (out, firstRow) => {
    rng.fillUniform(out, limit);
    if (!patch) return;
    for (let r = 0; r * rowLength < out.length; r++)
      patch(out.subarray(r * rowLength, (r + 1) * rowLength), firstRow + r);
  };
}

const ones: GgufTensorSpec['fill'] = (out) => out.fill(1);

function buildTensors(
  s: ModelShape,
  quant: TensorDataType,
  seed: number,
  suppress: Set<number> | null,
): GgufTensorSpec[] {
  const kv = (s.nEmbd / s.nHead) * s.nHeadKv;
  let stream = 0;
  const weight = (
    name: string,
    dims: [number, number],
    patch?: (row: Float32Array, i: number) => void,
  ): GgufTensorSpec => ({
    name,
    dims,
    type: quant,
    fill: randomFill(seed, stream++, dims[0], patch),
  });
  const norm = (name: string): GgufTensorSpec => ({ name, dims: [s.nEmbd], type: 'f32', fill: ones });
  // Keep residual dim 0 at a constant +1 so the output head can use it as a bias lane.
  const constantLane = suppress ? (row: Float32Array) => (row[0] = 1) : undefined;
  const zeroLaneRow = suppress ? (row: Float32Array, i: number) => i === 0 && row.fill(0) : undefined;
  const suppressRow = suppress
    ? (row: Float32Array, i: number) => {
        if (!suppress.has(i)) return;
        row.fill(0);
        row[0] = -100;
      }
    : undefined;
  const tensors: GgufTensorSpec[] = [
    weight('token_embd.weight', [s.nEmbd, s.nVocab], constantLane),
    norm('output_norm.weight'),
  ];
  tensors.push(weight('output.weight', [s.nEmbd, s.nVocab], suppressRow));
  for (let b = 0; b < s.nLayer; b++) {
    tensors.push(
      norm(`blk.${b}.attn_norm.weight`),
      weight(`blk.${b}.attn_q.weight`, [s.nEmbd, s.nEmbd]),
      weight(`blk.${b}.attn_k.weight`, [s.nEmbd, kv]),
      weight(`blk.${b}.attn_v.weight`, [s.nEmbd, kv]),
      weight(`blk.${b}.attn_output.weight`, [s.nEmbd, s.nEmbd], zeroLaneRow),
      norm(`blk.${b}.ffn_norm.weight`),
      weight(`blk.${b}.ffn_gate.weight`, [s.nEmbd, s.nFf]),
      weight(`blk.${b}.ffn_up.weight`, [s.nEmbd, s.nFf]),
      weight(`blk.${b}.ffn_down.weight`, [s.nFf, s.nEmbd], zeroLaneRow),
    );
  }
  return tensors;
}
