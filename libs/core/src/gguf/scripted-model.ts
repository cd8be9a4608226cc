/**
 * A generated model that decodes a chosen script, so tests can prove thinking, tool calls and long
 * silent generations through real llama.cpp decoding and node-llama-cpp's own parsing, which random
 * weights never exercise. Its weights are a third-order successor table:
 * - every token embeds as a constant block plus a seeded ±1 identity vector;
 * - two pairs of attention heads have constant queries and keys phased so that, after RoPE, each
 *   position attends to the token one (and two) back, copying its identity into its own block;
 * - everything else is zero, so the last hidden state holds the last three tokens;
 * - each script token's output row matches the three tokens it follows.
 * The script may repeat tokens (the space and newline around `<think>`) as long as no three-token
 * context repeats. Its first step follows the newline that ends the generation prompt whatever came
 * before it; the last is `<|im_end|>`. Text is cut into pieces new to the vocabulary; "\n" is the
 * tokenizer's own newline and `<think>`, `<tool_call>`, … are special tokens, as in Qwen3.
 */
import type { GgufTensorSpec } from './gguf-writer';
import { llamaMetadata, writeModelFile } from './llama-gguf';
import { GGUF_FILE_TYPE } from './quantize';
import { SeededRandom } from './rng';
import { SPECIAL_IDS, TOKEN_TYPE, buildVocab } from './vocab';

/** Special tokens of Qwen3-style thinking and tool calls (node-llama-cpp's Qwen chat wrapper). */
export const SCRIPT_SPECIALS = [
  '<think>',
  '</think>',
  '<tool_call>',
  '</tool_call>',
  '<tool_response>',
  '</tool_response>',
];

/** A ChatML template with Qwen3's special tokens; the worker picks the wrapper from `cortex.chat_wrapper`. */
export const QWEN_STYLE_TEMPLATE =
  "{%- for message in messages %}{{- '<|im_start|>' + message.role + '\\n' + message.content + '<|im_end|>\\n' }}{%- endfor %}" +
  "{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}";

/**
 * A script step: special tokens and "\n" by name, other strings as text, `{ token }` as an
 * existing vocabulary piece, and `{ context }` where node-llama-cpp itself evaluates tokens (after
 * it detects a tool call it re-tokenizes the call prefix and injects the name): the three tokens
 * it leaves in context, after which the script goes on.
 */
export type ScriptStep = string | { token: string } | { context: [string, string, string] };

export interface ScriptedModelOptions {
  out: string;
  script: ScriptStep[];
  seed?: number;
  context?: number;
}

const SPACE = '\u2581';
const HEAD = 64;
const D = 192; // identity width
const C0 = 0; // constant block (64)
const ID = 64; // current token's identity
const PREV = ID + D; // the token one back, copied by attention
const PREV2 = PREV + D; // two back
const NEXT = PREV2 + D; // the next token's identity, written by the FFN
const E = NEXT + D; // 832 = 13 heads of 64
const PAIRS = 12; // RoPE pairs that pick out a position
const ROPE_BASE = 10000;
const QK = 13.6; // query and key magnitude per pair: score margin ~25 after the 1/8 scale
const MATCH = 60; // an FFN unit's pre-activation per matching context token
const THRESHOLD = 2.5 * MATCH; // fires (≈ +30) only when all three match; two matches stay ≈ -30
const OUT = 0.3; // output scale on the NEXT block
/** How this vocabulary tokenizes the end of the generation prompt, `…assistant\n`. */
const PROMPT_TAIL = ['an', 't', '<0x0A>'];

function uniquePieces(text: string, taken: Set<string>): string[] {
  const words = text.replace(/ /g, SPACE).match(new RegExp(`[${SPACE}]*[^${SPACE}]+|[${SPACE}]+`, 'g')) ?? [];
  const out: string[] = [];
  let cur = '';
  for (const w of words) {
    cur += w;
    if (!taken.has(cur)) {
      taken.add(cur);
      out.push(cur);
      cur = '';
    }
  }
  if (cur) {
    if (!out.length) throw new Error(`script text ${JSON.stringify(text)} repeats pieces already in the vocabulary`);
    const last = out.pop()!;
    taken.delete(last);
    taken.add(last + cur);
    out.push(last + cur);
  }
  return out;
}

/** Token ids of the script in segments (a context jump starts a new one), growing the vocabulary. */
function compileScript(script: ScriptStep[], tokens: string[], types: number[], scores: number[]): number[][] {
  const taken = new Set(tokens);
  const index = new Map(tokens.map((t, i) => [t, i]));
  const add = (piece: string, type: number) => {
    tokens.push(piece);
    types.push(type);
    scores.push(type === TOKEN_TYPE.normal ? -1e4 : 0);
    index.set(piece, tokens.length - 1);
    taken.add(piece);
    return tokens.length - 1;
  };
  SCRIPT_SPECIALS.forEach((s) => add(s, TOKEN_TYPE.userDefined));
  const segments: number[][] = [PROMPT_TAIL.map((t) => index.get(t)!)];
  let ids = segments[0]!;
  const known = (piece: string) => {
    const id = index.get(piece === '\n' ? '<0x0A>' : piece);
    if (id === undefined) throw new Error(`script token "${piece}" is not in the vocabulary`);
    return id;
  };
  for (const step of script) {
    if (typeof step === 'object' && 'context' in step) {
      ids = step.context.map(known);
      segments.push(ids);
    } else if (typeof step === 'object') {
      const id = index.get(step.token);
      if (id === undefined) throw new Error(`script token "${step.token}" is not in the vocabulary`);
      ids.push(id);
    } else if (step === '\n') ids.push(index.get('<0x0A>')!);
    else if (step === '<|im_end|>') ids.push(SPECIAL_IDS.imEnd);
    else if (SCRIPT_SPECIALS.includes(step)) ids.push(index.get(step)!);
    else ids.push(...uniquePieces(step, taken).map((p) => add(p, TOKEN_TYPE.normal)));
  }
  if (ids.at(-1) !== SPECIAL_IDS.imEnd) ids.push(SPECIAL_IDS.imEnd);
  return segments;
}

export function makeScriptedModel(opts: ScriptedModelOptions) {
  const base = buildVocab(1536);
  const tokens = [...base.tokens];
  const types = [...base.types];
  const scores = [...base.scores];
  const segments = compileScript(opts.script, tokens, types, scores);
  // Every step: the three tokens it follows, and itself.
  const steps4 = segments.flatMap((seg) => seg.slice(3).map((next, i) => seg.slice(i, i + 3).concat(next)));
  const contexts = new Set<string>();
  for (const [a, b, c] of steps4) {
    const key = `${a},${b},${c}`;
    if (contexts.has(key)) {
      const shown = [a, b, c].map((t) => tokens[t!]).join(' ');
      throw new Error(`script repeats the context "${shown}": a step would have two successors`);
    }
    contexts.add(key);
  }
  const nVocab = tokens.length;
  const rng = new SeededRandom(opts.seed ?? 7, 1);
  const ident = new Float32Array(nVocab * D);
  rng.fillUniform(ident, 1);
  for (let i = 0; i < ident.length; i++) ident[i] = ident[i]! >= 0 ? 1 : -1;
  const id = (t: number) => ident.subarray(t * D, (t + 1) * D);

  // Attention input: rms-normalised [64 ones | ±1 identity], the same scale g for every token.
  const g = Math.sqrt(E / (HEAD + D));
  const heads = E / HEAD;
  const wq = new Float32Array(E * E);
  const wk = new Float32Array(E * E);
  const wv = new Float32Array(E * E);
  const wo = new Float32Array(E * E);
  const theta = (k: number) => ROPE_BASE ** ((-2 * k) / HEAD);
  const perBlock = D / HEAD; // heads needed to carry one identity
  for (let h = 0; h < 2 * perBlock; h++) {
    const back = h < perBlock ? 1 : 2;
    const part = h % perBlock;
    const slot = (back === 1 ? PREV : PREV2) + part * HEAD;
    for (let k = 0; k < PAIRS; k++) {
      const q = [QK, 0];
      const kk = [QK * Math.cos(back * theta(k)), QK * Math.sin(back * theta(k))];
      for (const c of [0, 1]) {
        const unit = h * HEAD + 2 * k + c;
        for (let j = 0; j < HEAD; j++) {
          wq[unit * E + C0 + j] = q[c]! / (HEAD * g);
          wk[unit * E + C0 + j] = kk[c]! / (HEAD * g);
        }
      }
    }
    for (let t = 0; t < HEAD; t++) {
      wv[(h * HEAD + t) * E + ID + part * HEAD + t] = 1;
      wo[(slot + t) * E + h * HEAD + t] = 1;
    }
  }
  // FFN input: rms-normalised [ones | identity | g·prev | g·prev2].
  const r2 = Math.sqrt((HEAD + D + 2 * D * g * g) / E);
  const cScale = 1 / r2;
  const idScale = 1 / r2;
  const prevScale = g / r2;
  const steps = steps4.length;
  const gate = new Float32Array(steps * E);
  const up = new Float32Array(steps * E);
  const down = new Float32Array(E * steps);
  for (let j = 0; j < steps; j++) {
    const [p2, p1, cur, next] = steps4[j] as [number, number, number, number];
    const row = gate.subarray(j * E, (j + 1) * E);
    const fill = (at: number, tok: number, inputScale: number) => {
      const v = id(tok);
      for (let d = 0; d < D; d++) row[at + d] = (MATCH / (D * inputScale)) * v[d]!;
    };
    fill(ID, cur, idScale);
    fill(PREV, p1, prevScale);
    fill(PREV2, p2, prevScale);
    for (let c = 0; c < HEAD; c++) {
      row[C0 + c] = -THRESHOLD / (HEAD * cScale);
      up[j * E + C0 + c] = 1 / (HEAD * cScale);
    }
    const nv = id(next);
    for (let d = 0; d < D; d++) down[(NEXT + d) * steps + j] = nv[d]!;
  }
  const rows = new Float32Array(nVocab * E);
  for (let t = 0; t < nVocab; t++)
    rows.set(
      id(t).map((x) => x * OUT),
      t * E + NEXT,
    );
  const tensor = (name: string, dims: number[], data: Float32Array | number): GgufTensorSpec => ({
    name,
    dims: dims as [number, number],
    type: 'f32',
    fill: (out, first) =>
      typeof data === 'number'
        ? out.fill(data)
        : out.set(data.subarray(first * dims[0]!, first * dims[0]! + out.length)),
  });
  const embd = new Float32Array(nVocab * E);
  for (let t = 0; t < nVocab; t++) {
    embd.fill(1, t * E + C0, t * E + C0 + HEAD);
    embd.set(id(t), t * E + ID);
  }
  const tensors: GgufTensorSpec[] = [
    tensor('token_embd.weight', [E, nVocab], embd),
    tensor('output_norm.weight', [E], 1),
    tensor('output.weight', [E, nVocab], rows),
    tensor('blk.0.attn_norm.weight', [E], 1),
    tensor('blk.0.attn_q.weight', [E, E], wq),
    tensor('blk.0.attn_k.weight', [E, E], wk),
    tensor('blk.0.attn_v.weight', [E, E], wv),
    tensor('blk.0.attn_output.weight', [E, E], wo),
    tensor('blk.0.ffn_norm.weight', [E], 1),
    tensor('blk.0.ffn_gate.weight', [E, steps], gate),
    tensor('blk.0.ffn_up.weight', [E, steps], up),
    tensor('blk.0.ffn_down.weight', [steps, E], down),
  ];
  const metadata = [
    ...llamaMetadata({
      name: 'cortex-scripted',
      fileType: GGUF_FILE_TYPE.f32,
      contextLength: opts.context ?? 8192,
      nEmbd: E,
      nLayer: 1,
      nFf: steps,
      nHead: heads,
      nHeadKv: heads,
      headDim: HEAD,
      ropeFreqBase: ROPE_BASE,
      rmsEpsilon: 1e-6,
      vocab: { tokens, scores, types },
      chatTemplate: QWEN_STYLE_TEMPLATE,
    }),
    ['cortex.chat_wrapper', { type: 'str', value: 'qwen' }] as const,
  ];
  const bytes = writeModelFile(opts.out, metadata, tensors);
  return { file: opts.out, bytes, tokens: steps, pieces: steps4.map((s4) => tokens[s4[3]!]!) };
}
