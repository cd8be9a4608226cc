/**
 * A script (what a scripted model must generate) as third-order steps: the three tokens each token
 * follows, and which marker tokens the prompt must hold or lack for the step to apply (a tool result
 * switches the model to its answer; a finished thought to its tool call). With the built-in
 * vocabulary, text becomes pieces new to it, so no context repeats; with a real tokenizer's, text is
 * cut into its own pieces and a repeated context is the author's to fix.
 */
import type { GgufVocab } from './hf-tokenizer';
import { PieceEncoder } from './vocab-pieces';
import { SPECIAL_IDS, TOKEN_TYPE } from './vocab';

/**
 * A script step: special tokens and "\n" by name, other strings as text, `{ token }` as an
 * existing vocabulary piece, and `{ context }` where node-llama-cpp itself evaluates tokens (after
 * it detects a tool call it re-tokenizes the call prefix and injects the name): the three tokens
 * it leaves in context, after which the script goes on.
 */
export type ScriptStep = string | { token: string } | { context: Context };

/** Up to three tokens (vocabulary texts), oldest first; null matches any token. */
export type Context = ReadonlyArray<string | null>;

export interface CompiledStep {
  /** The three tokens before, oldest first; null where any token will do. */
  after: [number | null, number | null, number];
  next: number;
  /** Per marker (by index): 1 = only when the prompt holds one of its tokens, 0 = only when it holds none. */
  when: Array<0 | 1 | undefined>;
}

export interface CompiledScript {
  vocab: GgufVocab;
  steps: CompiledStep[];
  /** Each marker's token ids, in the order `when` indexes them. */
  markers: number[][];
}

/** Marker tokens: a word (every plain token that spells it, spaces aside) or exact vocabulary texts. */
export type MarkerSpec = string | string[];

/** Steps generated from `promptTail` on, while the named markers are (true) or are not (false) in the prompt. */
export interface ScriptPart {
  when?: Record<string, boolean>;
  promptTail: Context;
  steps: ScriptStep[];
  /** Another part takes over where this one ends: no end-of-turn token is appended. */
  continues?: boolean;
}

export interface ScriptSource {
  parts: ScriptPart[];
  markers?: Record<string, MarkerSpec>;
}

/** A script and its answer (once `answer.marker` is in the prompt) as parts: the common two-turn case. */
export function twoTurnParts(
  script: ScriptStep[],
  promptTail: Context,
  answer?: { marker: MarkerSpec; script: ScriptStep[]; promptTail?: Context },
): ScriptSource {
  if (!answer) return { parts: [{ promptTail, steps: script }] };
  return {
    markers: { answer: answer.marker },
    parts: [
      { when: { answer: false }, promptTail, steps: script },
      { when: { answer: true }, promptTail: answer.promptTail ?? promptTail, steps: answer.script },
    ],
  };
}

const SPACE = '\u2581';

/** Cuts text into steps for one vocabulary: pieces new to the built-in one, or a real one's own. */
interface Cutter {
  text(text: string): number[];
  special(text: string): number | undefined;
  known(piece: string): number;
  end: number;
}

/** The built-in vocabulary grows: each text piece is new, so a script never repeats a context. */
function growingCutter(vocab: GgufVocab, specials: readonly string[]): Cutter {
  const tokens = vocab.tokens;
  const types = Array.from(vocab.types);
  const scores = Array.from(vocab.scores ?? []);
  const index = new Map(tokens.map((t, i) => [t, i]));
  const add = (piece: string, type: number) => {
    tokens.push(piece);
    types.push(type);
    scores.push(type === TOKEN_TYPE.normal ? -1e4 : 0);
    index.set(piece, tokens.length - 1);
    return tokens.length - 1;
  };
  specials.forEach((s) => index.has(s) || add(s, TOKEN_TYPE.userDefined));
  const sync = () => {
    vocab.types = Int32Array.from(types);
    vocab.scores = Float32Array.from(scores);
  };
  sync();
  return {
    text(text) {
      const words = text.replace(/ /g, SPACE).match(new RegExp(`[${SPACE}]*[^${SPACE}]+|[${SPACE}]+`, 'g')) ?? [];
      const out: number[] = [];
      let cur = '';
      for (const w of words) {
        cur += w;
        if (!index.has(cur)) {
          out.push(add(cur, TOKEN_TYPE.normal));
          cur = '';
        }
      }
      if (cur) {
        if (!out.length)
          throw new Error(`script text ${JSON.stringify(text)} repeats pieces already in the vocabulary`);
        const last = out.pop()!;
        const piece = tokens[last] + cur;
        tokens[last] = piece;
        index.set(piece, last);
        out.push(last);
      }
      sync();
      return out;
    },
    special: (text) => {
      if (text === '\n') return index.get('<0x0A>');
      const id = index.get(text);
      return id !== undefined && types[id] !== TOKEN_TYPE.normal && types[id] !== TOKEN_TYPE.byte ? id : undefined;
    },
    known: (piece) => {
      const id = index.get(piece === '\n' ? '<0x0A>' : piece);
      if (id === undefined) throw new Error(`script token "${piece}" is not in the vocabulary`);
      return id;
    },
    end: SPECIAL_IDS.imEnd,
  };
}

/** A real tokenizer's vocabulary stays as it is: text is cut into its own pieces. */
function fixedCutter(vocab: GgufVocab): Cutter {
  const enc = new PieceEncoder(vocab);
  return {
    text: (text) => enc.encode(text),
    special: (text) => {
      const id = enc.idOf(text);
      return id !== undefined && vocab.types[id] !== TOKEN_TYPE.normal && vocab.types[id] !== TOKEN_TYPE.byte
        ? id
        : undefined;
    },
    known: (piece) => {
      const id = enc.idOf(piece);
      if (id === undefined) throw new Error(`script token "${piece}" is not in the vocabulary`);
      return id;
    },
    end: vocab.eos,
  };
}

/** A context as ids, padded to three with wildcards (null) in front. */
function contextIds(context: Context, cut: Cutter): Array<number | null> {
  if (context.length < 1 || context.length > 3 || context.at(-1) === null)
    throw new Error(`context ${JSON.stringify(context)}: expected 1 to 3 tokens, the last one named`);
  return [...Array<null>(3 - context.length).fill(null), ...context.map((t) => (t === null ? null : cut.known(t)))];
}

function segmentsOf(
  steps: ScriptStep[],
  tail: Context,
  cut: Cutter,
  isControl: (id: number) => boolean,
  continues = false,
) {
  const segments: Array<Array<number | null>> = [contextIds(tail, cut)];
  let ids = segments[0]!;
  for (const step of steps) {
    if (typeof step === 'object' && 'context' in step) {
      ids = contextIds(step.context, cut);
      segments.push(ids);
    } else if (typeof step === 'object') ids.push(cut.known(step.token));
    else ids.push(...(cut.special(step) !== undefined ? [cut.special(step)!] : cut.text(step)));
  }
  if (!continues && !isControl(ids.at(-1)!)) ids.push(cut.end);
  return segments;
}

/** Whether two steps can apply to the same tokens and markers (wildcards and unset markers match anything). */
const overlaps = (a: CompiledStep, b: CompiledStep) =>
  a.after.every((t, i) => t === null || b.after[i] === null || t === b.after[i]) &&
  a.when.every((w, i) => w === undefined || b.when[i] === undefined || w === b.when[i]);

/** Compiles a script against `vocab` (mutated when `specials` are given: the built-in, growing vocabulary). */
export function compileScript(src: ScriptSource, vocab: GgufVocab, specials?: readonly string[]): CompiledScript {
  const cut = specials ? growingCutter(vocab, specials) : fixedCutter(vocab);
  const isControl = (id: number) => vocab.types[id] === TOKEN_TYPE.control;
  const names = Object.keys(src.markers ?? {});
  const markers = names.map((name) => markerTokens(name, src.markers![name]!, vocab, cut, !!specials));
  const steps: CompiledStep[] = [];
  for (const part of src.parts) {
    const when = names.map((n) => (part.when?.[n] === undefined ? undefined : part.when[n] ? 1 : 0));
    const unknown = Object.keys(part.when ?? {}).filter((n) => !names.includes(n));
    if (unknown.length) throw new Error(`when: no marker named ${unknown.join(', ')}`);
    for (const seg of segmentsOf(part.steps, part.promptTail, cut, isControl, part.continues))
      for (let i = 3; i < seg.length; i++) {
        const step: CompiledStep = { after: seg.slice(i - 3, i) as CompiledStep['after'], next: seg[i]!, when };
        // Two steps that can apply to the same tokens must agree on what comes next.
        if (steps.some((s) => s.next !== step.next && overlaps(s, step))) {
          const shown = step.after.map((t) => (t === null ? '*' : vocab.tokens[t])).join(' ');
          throw new Error(`script repeats the context "${shown}": a step would have two successors`);
        }
        const same = (s: CompiledStep) => s.after.join() === step.after.join() && s.when.join() === step.when.join();
        if (!steps.some(same)) steps.push(step);
      }
  }
  return { vocab, steps, markers };
}

function markerTokens(name: string, spec: MarkerSpec, vocab: GgufVocab, cut: Cutter, growing: boolean): number[] {
  if (Array.isArray(spec)) return spec.map((t) => cut.known(t));
  if (growing) cut.text(` ${spec}`);
  const ids: number[] = [];
  vocab.tokens.forEach((t, id) => {
    const type = vocab.types[id];
    const plain = type === TOKEN_TYPE.normal || type === TOKEN_TYPE.userDefined;
    if (plain && decodePiece(vocab, t).trim() === spec) ids.push(id);
  });
  if (!ids.length) throw new Error(`markers.${name}: no token of the vocabulary spells "${spec}"`);
  return ids;
}

/** A piece's text (byte-level characters and ▁ spelled back); only used to find marker tokens. */
function decodePiece(vocab: GgufVocab, piece: string): string {
  if (vocab.model === 'llama') return piece.replace(/\u2581/g, ' ');
  return piece.replace(/\u0120/g, ' ').replace(/\u010a/g, '\n');
}
