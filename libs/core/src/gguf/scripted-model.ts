/**
 * A generated model that decodes a chosen script, so tests can prove thinking, tool calls and long
 * silent generations through real llama.cpp decoding and node-llama-cpp's own parsing, which random
 * weights never exercise. Its weights are a third-order successor table in one layer:
 * - every token embeds as a constant block plus a seeded ±1 identity (and a flag on marker tokens);
 * - two groups of attention heads have constant queries and keys phased so that, after RoPE, each
 *   position attends to the token one (and two) back, copying its identity into its own block;
 * - one head per marker attends to its tokens anywhere before it (low RoPE frequencies, so distance
 *   barely matters) and raises a mode: a tool result in the prompt selects the answer, say;
 * - each FFN unit fires on one step's three tokens and modes, and adds the next token's identity,
 *   which the tied output head reads back as the next token.
 * With the built-in vocabulary the script's text becomes new pieces; with a real tokenizer (read by
 * hf-tokenizer.ts) its vocabulary, merges, specials and template go into the GGUF unchanged.
 */
import type { GgufTensorSpec, GgufValue } from './gguf-writer';
import type { GgufVocab } from './hf-tokenizer';
import { type GeneratedArch, llamaMetadata, writeModelFile } from './llama-gguf';
import { GGUF_FILE_TYPE } from './quantize';
import {
  type CompiledStep,
  type Context,
  type MarkerSpec,
  type ScriptPart,
  type ScriptStep,
  compileScript,
  twoTurnParts,
} from './script-compile';
import { buildVocab, builtinGgufVocab } from './vocab';

export type { ScriptStep, ScriptPart, MarkerSpec, Context as ScriptContext } from './script-compile';

/** Special tokens of Qwen3-style thinking and tool calls, added to the built-in vocabulary. */
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

export interface ScriptedModelOptions {
  out: string;
  /** What the model generates (from `promptTail`); or give `parts`. */
  script?: ScriptStep[];
  /** Generated instead of `script` once the prompt holds `marker` (a word of a tool result, say). */
  answer?: { marker: MarkerSpec; script: ScriptStep[]; promptTail?: Context };
  /** Scripts that apply while named markers are, or are not, in the prompt (up to four markers). */
  parts?: ScriptPart[];
  markers?: Record<string, MarkerSpec>;
  seed?: number;
  context?: number;
  /** A real tokenizer's vocabulary (readHfTokenizer); the built-in Qwen3-style one when unset. */
  vocab?: GgufVocab;
  /** The prompt's last tokens as vocabulary texts, null for any (required with `vocab`: where generation starts). */
  promptTail?: Context;
  /** qwen3 for Qwen vocabularies (node-llama-cpp picks its Qwen wrapper only for Qwen architectures). */
  arch?: GeneratedArch;
  name?: string;
}

const HEAD = 64;
const D = 192; // identity width
const C0 = 0; // constant block (64)
const ID = 64; // current token's identity, and the next one's once the FFN has written it
const PREV = ID + D; // the token one back, copied by attention
const PREV2 = PREV + D; // two back
const MODE = PREV2 + D; // marker flags (MODE + k) and modes (MODE + MAX_MARKERS + k), in a block of 64
const MAX_MARKERS = 4;
const E = MODE + HEAD; // 704 = 11 heads of 64
const PAIRS = 12; // high-frequency RoPE pairs that pick out a position
const MODE_PAIRS = [24, 25, 26, 27, 28, 29, 30, 31]; // low-frequency pairs: nearly position-blind
const ROPE_BASE = 10000;
const QK = 13.6; // copy heads' query and key magnitude per pair: score margin ~25 after the 1/8 scale
const MODE_QK = Math.sqrt(40); // mode head: a marker scores ~40, everything else 0
const MATCH = 60; // an FFN unit's pre-activation per matching context token (and for the mode)
const THRESHOLD = 2.5 * MATCH; // fires (≈ +30) only when all three match; two matches stay ≈ -30
const ACT = 30; // a firing unit's activation
const NEXT_GAIN = 6; // the next token's identity, against the current one's 1
const OUT_NORM = 0.25; // logit scale: the next token leads every other by ~50
/** How the built-in vocabulary tokenizes the end of the generation prompt, `…assistant\n`. */
const BUILTIN_TAIL: [string, string, string] = ['an', 't', '<0x0A>'];
/** The built-in vocabulary's size before a script adds its pieces. */
const BUILTIN_SIZE = 1536;

const mix = (x: number): number => {
  let z = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
};

/** ±1 identity of token `t` from a counter-based hash: no table, so 262k-token vocabularies cost nothing. */
function identity(seed: number, t: number, out: Float32Array, at: number): void {
  const base = mix((Math.imul(t, 0x9e3779b9) + seed) >>> 0);
  for (let w = 0; w < D / 32; w++) {
    const z = mix((base ^ Math.imul(w + 1, 0x27d4eb2f)) >>> 0);
    for (let b = 0; b < 32; b++) out[at + w * 32 + b] = (z >>> b) & 1 ? 1 : -1;
  }
}

export function makeScriptedModel(opts: ScriptedModelOptions) {
  const builtin = !opts.vocab;
  const vocab = opts.vocab ?? builtinGgufVocab(buildVocab(BUILTIN_SIZE), QWEN_STYLE_TEMPLATE);
  const tail = opts.promptTail ?? (builtin ? BUILTIN_TAIL : undefined);
  const source = opts.parts
    ? { parts: opts.parts, markers: opts.markers }
    : tail
      ? twoTurnParts(opts.script ?? [], tail, opts.answer)
      : undefined;
  if (!source) throw new Error('promptTail: a real vocabulary needs the generation prompt’s last tokens');
  const compiled = compileScript(source, vocab, builtin ? SCRIPT_SPECIALS : undefined);
  if (compiled.markers.length > MAX_MARKERS) throw new Error(`markers: at most ${MAX_MARKERS}`);
  const seed = opts.seed ?? 7;
  const arch = opts.arch ?? 'llama';
  const tensors = buildTensors(compiled.steps, vocab.tokens.length, compiled.markers, seed, arch);
  const metadata: Array<readonly [string, GgufValue]> = [
    ...llamaMetadata({
      arch,
      name: opts.name ?? 'cortex-scripted',
      fileType: GGUF_FILE_TYPE.q8_0,
      contextLength: opts.context ?? 8192,
      nEmbd: E,
      nLayer: 1,
      nFf: compiled.steps.length,
      nHead: E / HEAD,
      nHeadKv: E / HEAD,
      headDim: HEAD,
      ropeFreqBase: ROPE_BASE,
      rmsEpsilon: 1e-6,
      vocab,
    }),
    ...(builtin ? [['cortex.chat_wrapper', { type: 'str', value: 'qwen' }] as const] : []),
  ];
  const bytes = writeModelFile(opts.out, metadata, tensors);
  return {
    file: opts.out,
    bytes,
    tokens: compiled.steps.length,
    vocabSize: vocab.tokens.length,
    pieces: compiled.steps.map((s) => vocab.tokens[s.next]!),
  };
}

/** Index of RoPE pair `k`'s component `c` within a head: adjacent for llama, split halves for qwen3 (NeoX). */
const ropeDim = (arch: GeneratedArch, k: number, c: number) => (arch === 'qwen3' ? k + (HEAD / 2) * c : 2 * k + c);

function buildTensors(
  steps: CompiledStep[],
  nVocab: number,
  markers: number[][],
  seed: number,
  arch: GeneratedArch,
): GgufTensorSpec[] {
  // Attention input: rms-normalised [64 ones | ±1 identity], the same scale g for every token.
  const g = Math.sqrt(E / (HEAD + D));
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
        const unit = h * HEAD + ropeDim(arch, k, c);
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
  // A mode head per marker: a constant query, a key only on its tokens (their flag), the flag as value.
  markers.forEach((_, m) => {
    const mh = 2 * perBlock + m;
    for (const k of MODE_PAIRS) {
      const unit = mh * HEAD + ropeDim(arch, k, 0);
      for (let j = 0; j < HEAD; j++) wq[unit * E + C0 + j] = MODE_QK / (HEAD * g);
      wk[unit * E + MODE + m] = MODE_QK / g;
    }
    wv[mh * HEAD * E + MODE + m] = 1 / g;
    wo[(MODE + MAX_MARKERS + m) * E + mh * HEAD] = 1;
  });

  // FFN input: rms-normalised [ones | identity | g·prev | g·prev2 | flags, modes].
  const r2 = Math.sqrt((HEAD + D + 2 * D * g * g) / E);
  const cScale = 1 / r2;
  const gate = new Float32Array(steps.length * E);
  const up = new Float32Array(steps.length * E);
  const down = new Float32Array(E * steps.length);
  const v = new Float32Array(D);
  steps.forEach((s, j) => {
    const row = gate.subarray(j * E, (j + 1) * E);
    const match = (at: number, tok: number, inputScale: number) => {
      identity(seed, tok, v, 0);
      for (let d = 0; d < D; d++) row[at + d] = (MATCH / (D * inputScale)) * v[d]!;
    };
    const [p2, p1, cur] = s.after;
    match(ID, cur, 1 / r2);
    if (p1 !== null) match(PREV, p1, g / r2);
    if (p2 !== null) match(PREV2, p2, g / r2);
    // Fires only when every named token matches and every mode is as the step requires.
    const named = s.after.filter((t) => t !== null).length;
    let threshold = THRESHOLD - (3 - named) * MATCH;
    s.when.forEach((w, m) => {
      if (w === undefined) return;
      row[MODE + MAX_MARKERS + m] = (w ? MATCH : -2 * MATCH) * r2;
      if (w) threshold += MATCH;
    });
    for (let c = 0; c < HEAD; c++) {
      row[C0 + c] = -threshold / (HEAD * cScale);
      up[j * E + C0 + c] = 1 / (HEAD * cScale);
    }
    identity(seed, s.next, v, 0);
    for (let d = 0; d < D; d++) down[(ID + d) * steps.length + j] = (NEXT_GAIN / ACT) * v[d]!;
  });

  const tensor = (name: string, dims: number[], data: Float32Array | number): GgufTensorSpec => ({
    name,
    dims,
    type: 'f32',
    fill: (out, first) =>
      typeof data === 'number'
        ? out.fill(data)
        : out.set(data.subarray(first * dims[0]!, first * dims[0]! + out.length)),
  });
  // Token embeddings, also the output head (tied): rows are generated as they are written.
  const flags = new Map<number, number[]>();
  markers.forEach((ids, m) => ids.forEach((t) => flags.set(t, [...(flags.get(t) ?? []), m])));
  const embd: GgufTensorSpec = {
    name: 'token_embd.weight',
    dims: [E, nVocab],
    type: 'q8_0',
    fill: (out, first) => {
      out.fill(0);
      for (let r = 0; r * E < out.length; r++) {
        const t = first + r;
        out.fill(1, r * E + C0, r * E + C0 + HEAD);
        identity(seed, t, out, r * E + ID);
        for (const m of flags.get(t) ?? []) out[r * E + MODE + m] = 1;
      }
    },
  };
  const tensors: GgufTensorSpec[] = [
    embd,
    tensor('output_norm.weight', [E], OUT_NORM),
    tensor('blk.0.attn_norm.weight', [E], 1),
    tensor('blk.0.attn_q.weight', [E, E], wq),
    tensor('blk.0.attn_k.weight', [E, E], wk),
    tensor('blk.0.attn_v.weight', [E, E], wv),
    tensor('blk.0.attn_output.weight', [E, E], wo),
    tensor('blk.0.ffn_norm.weight', [E], 1),
    tensor('blk.0.ffn_gate.weight', [E, steps.length], gate),
    tensor('blk.0.ffn_up.weight', [E, steps.length], up),
    tensor('blk.0.ffn_down.weight', [steps.length, E], down),
  ];
  if (arch === 'qwen3') tensors.push(...qkNorms(arch));
  return tensors;
}

/**
 * qwen3 normalises each head's query and key (one weight per head dimension, shared by all heads)
 * before RoPE; these weights give each back the magnitude the construction above chose.
 */
function qkNorms(arch: GeneratedArch): GgufTensorSpec[] {
  const q = new Float32Array(HEAD).fill(1);
  const k = new Float32Array(HEAD).fill(1);
  for (let p = 0; p < PAIRS; p++)
    for (const c of [0, 1]) {
      q[ropeDim(arch, p, c)] = QK * Math.sqrt(PAIRS / HEAD);
      k[ropeDim(arch, p, c)] = QK * Math.sqrt(PAIRS / HEAD);
    }
  for (const p of MODE_PAIRS) {
    q[ropeDim(arch, p, 0)] = MODE_QK * Math.sqrt(MODE_PAIRS.length / HEAD);
    k[ropeDim(arch, p, 0)] = MODE_QK * Math.sqrt(MODE_PAIRS.length / HEAD);
  }
  const fill = (data: Float32Array) => (out: Float32Array) => out.set(data);
  return [
    { name: 'blk.0.attn_q_norm.weight', dims: [HEAD], type: 'f32', fill: fill(q) },
    { name: 'blk.0.attn_k_norm.weight', dims: [HEAD], type: 'f32', fill: fill(k) },
  ];
}
