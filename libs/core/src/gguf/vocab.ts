/**
 * A SentencePiece-style ("llama") vocabulary with byte fallback and ChatML control tokens. Real
 * tokenizers can't be downloaded here, so generated models carry this one: it round-trips any text
 * (unknown characters fall back to <0xNN> byte tokens) at roughly one token per character.
 */
import type { GgufVocab } from './hf-tokenizer';

export const TOKEN_TYPE = { normal: 1, unknown: 2, control: 3, userDefined: 4, unused: 5, byte: 6 } as const;

export const SPECIAL_IDS = { unk: 0, bos: 1, eos: 2, imStart: 3, imEnd: 4 } as const;

export const CHATML_TEMPLATE =
  "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}" +
  "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

const SPACE = '\u2581';

const WORDS = (
  'the of and to in is that it for was on are as with be at by this have from or one had not but what ' +
  'all were when we there can an your which their said if do will each about how up out them then she ' +
  'many some so these would other into has more her two like him see time could no make than first been ' +
  'its who now people my made over did down only way find use may water long little very after words ' +
  'called just where most know get through back much before go good new write our used me man too any ' +
  'day same right look think also around another came come work three word must because does part even ' +
  'place well such here take why things help put years different away again off went old number great ' +
  'hello world model token cortex neuron gateway stream json function tool user assistant system'
).split(' ');

export interface Vocab {
  tokens: string[];
  scores: Float32Array;
  types: Int32Array;
}

/** Builds a vocabulary of exactly `size` tokens (size must cover the fixed part, about 1,240). */
export function buildVocab(size: number): Vocab {
  const tokens: string[] = [];
  const types: number[] = [];
  const seen = new Set<string>();
  const add = (tok: string, type: number): void => {
    if (seen.has(tok)) return;
    seen.add(tok);
    tokens.push(tok);
    types.push(type);
  };
  add('<unk>', TOKEN_TYPE.unknown);
  add('<s>', TOKEN_TYPE.control);
  add('</s>', TOKEN_TYPE.control);
  add('<|im_start|>', TOKEN_TYPE.control);
  add('<|im_end|>', TOKEN_TYPE.control);
  for (let b = 0; b < 256; b++) add(`<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`, TOKEN_TYPE.byte);
  add(SPACE, TOKEN_TYPE.normal);
  const printable: string[] = [];
  for (let c = 0x21; c < 0x7f; c++) printable.push(String.fromCharCode(c));
  for (const ch of printable) add(ch, TOKEN_TYPE.normal);
  for (const ch of printable) add(SPACE + ch, TOKEN_TYPE.normal);
  for (const w of WORDS) {
    add(w, TOKEN_TYPE.normal);
    add(SPACE + w, TOKEN_TYPE.normal);
  }
  const letters = 'abcdefghijklmnopqrstuvwxyz';
  for (const a of letters) for (const b of letters) add(a + b, TOKEN_TYPE.normal);
  const fixed = tokens.length;
  if (size < fixed) throw new Error(`vocab size ${size} is below the fixed part (${fixed} tokens)`);
  for (let i = 0; tokens.length < size; i++) add(`${SPACE}w${i}`, TOKEN_TYPE.normal);
  const scores = new Float32Array(tokens.length);
  // SentencePiece merges the highest-scoring pair first: prefer longer pieces, then earlier ones.
  tokens.forEach((t, i) => (scores[i] = types[i] === TOKEN_TYPE.normal ? t.length * 10 - i / size : 0));
  return { tokens, scores, types: Int32Array.from(types) };
}

/** The built-in vocabulary as GGUF tokenizer metadata: SentencePiece-style, ChatML's <|im_end|> ending a turn. */
export function builtinGgufVocab(v: Vocab, chatTemplate: string): GgufVocab {
  return {
    model: 'llama',
    tokens: v.tokens,
    scores: v.scores,
    types: v.types,
    bos: SPECIAL_IDS.bos,
    eos: SPECIAL_IDS.imEnd,
    unk: SPECIAL_IDS.unk,
    addBos: true,
    chatTemplate,
  };
}
