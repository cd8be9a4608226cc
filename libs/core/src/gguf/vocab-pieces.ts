/**
 * Cuts text into tokens of a GGUF vocabulary for a scripted model to generate: longest pieces first,
 * any split that detokenizes back to the text (a model may generate non-canonical splits; llama.cpp
 * and node-llama-cpp decode them all the same). Byte-level ("gpt2") vocabularies spell bytes as GPT-2's
 * printable characters; SentencePiece ("llama") ones write spaces as ▁ and fall back to <0xNN> bytes.
 */
import type { GgufVocab } from './hf-tokenizer';
import { TOKEN_TYPE } from './vocab';

/** GPT-2's byte → printable character table (bytes_to_unicode). */
function byteChars(): string[] {
  const out: string[] = [];
  let extra = 0;
  for (let b = 0; b < 256; b++) {
    const printable = (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || b >= 174;
    out.push(String.fromCodePoint(printable ? b : 256 + extra++));
  }
  return out;
}

const BYTE_CHARS = byteChars();
const SPACE = '\u2581';

export class PieceEncoder {
  private readonly index = new Map<string, number>();
  private readonly longest: number;

  constructor(private readonly vocab: GgufVocab) {
    let longest = 1;
    vocab.tokens.forEach((t, id) => {
      const type = vocab.types[id];
      if (type !== TOKEN_TYPE.normal && type !== TOKEN_TYPE.byte) return;
      if (!this.index.has(t)) this.index.set(t, id);
      longest = Math.max(longest, t.length);
    });
    this.longest = Math.min(longest, 48);
  }

  /** The vocabulary's spelling of `text` (byte characters, or ▁ for spaces). */
  spell(text: string): string {
    if (this.vocab.model === 'gpt2') return [...Buffer.from(text, 'utf8')].map((b) => BYTE_CHARS[b]).join('');
    return text.replace(/ /g, SPACE);
  }

  /** Token ids whose pieces spell `text`, longest first. */
  encode(text: string): number[] {
    const s = this.spell(text);
    const ids: number[] = [];
    for (let i = 0; i < s.length;) {
      let found = -1;
      let len = Math.min(this.longest, s.length - i);
      for (; len > 0; len--) {
        const id = this.index.get(s.slice(i, i + len));
        if (id !== undefined) {
          found = id;
          break;
        }
      }
      if (found >= 0) {
        ids.push(found);
        i += len;
        continue;
      }
      const cp = s.codePointAt(i)!;
      const ch = String.fromCodePoint(cp);
      for (const b of Buffer.from(ch, 'utf8')) {
        const id = this.index.get(`<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`);
        if (id === undefined) throw new Error(`text ${JSON.stringify(text)}: no token spells ${JSON.stringify(ch)}`);
        ids.push(id);
      }
      i += ch.length;
    }
    return ids;
  }

  /** The id of a token by its exact vocabulary text (any type). */
  idOf(piece: string): number | undefined {
    const normal = this.index.get(piece);
    if (normal !== undefined) return normal;
    const id = this.vocab.tokens.indexOf(piece);
    return id >= 0 ? id : undefined;
  }
}
