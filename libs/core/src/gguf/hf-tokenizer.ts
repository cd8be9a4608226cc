/**
 * A Hugging Face tokenizer (tokenizer.json + tokenizer_config.json) as GGUF tokenizer metadata, the
 * way llama.cpp's convert_hf_to_gguf.py writes it: byte-level BPE vocabularies become "gpt2" with
 * merges and the pre-tokenizer's name, SentencePiece-style ones (byte fallback, ▁ for spaces) become
 * "llama" with scores; added tokens are control or user-defined, specials get their ids. Generated
 * test models carry real vocabularies this way, since real weights cannot be downloaded here.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TOKEN_TYPE } from './vocab';

export interface GgufVocab {
  /** tokenizer.ggml.model: "gpt2" (byte-level BPE) or "llama" (SentencePiece). */
  model: 'gpt2' | 'llama';
  /** tokenizer.ggml.pre, for "gpt2" vocabularies. */
  pre?: string;
  tokens: string[];
  types: Int32Array;
  /** SentencePiece merge priorities (higher merges first). */
  scores?: Float32Array;
  merges?: string[];
  bos?: number;
  eos: number;
  unk?: number;
  pad?: number;
  addBos: boolean;
  addSpacePrefix?: boolean;
  chatTemplate?: string;
}

interface AddedToken {
  id: number;
  content: string;
  special: boolean;
  normalized?: boolean;
}

interface TokenizerJson {
  model: {
    type: string;
    vocab: Record<string, number>;
    merges?: Array<string | [string, string]>;
    byte_fallback?: boolean;
  };
  added_tokens?: AddedToken[];
  pre_tokenizer?: unknown;
  post_processor?: unknown;
}

type TokenField = string | { content: string } | null | undefined;

interface TokenizerConfig {
  chat_template?: string | Array<{ name: string; template: string }>;
  bos_token?: TokenField;
  eos_token?: TokenField;
  pad_token?: TokenField;
  unk_token?: TokenField;
  add_bos_token?: boolean;
}

/** Known byte-level pre-tokenizer regexes (in order) → llama.cpp's names for them (llama-vocab.cpp). */
const PRE_TOKENIZERS: Record<string, string> = {
  "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+":
    'llama-bpe',
  "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+":
    'qwen2',
  '\\p{N}{1,3} [\u4e00-\u9fa5\u3040-\u309f\u30a0-\u30ff]+ [!"#$%&\'()*+,\\-./:;<=>?@\\[\\\\\\]^_`{|}~][A-Za-z]+|[^\r\n\\p{L}\\p{P}\\p{S}]?[\\p{L}\\p{M}]+| ?[\\p{P}\\p{S}]+[\r\n]*|\\s*[\r\n]+|\\s+(?!\\S)|\\s+':
    'deepseek-v3',
  "[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]*[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?|[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]+[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+":
    'gpt-4o',
};

/** convert_hf_to_gguf.py's does_token_look_special: added tokens that are control tokens in all but name. */
function looksSpecial(text: string): boolean {
  return (
    ['<pad>', '<mask>', '<2mass>', '[@BOS@]'].includes(text) ||
    (text.startsWith('<|') && text.endsWith('|>')) ||
    (text.startsWith('<｜') && text.endsWith('｜>')) ||
    (text.startsWith('<unused') && text.endsWith('>'))
  );
}

function splitRegexes(pre: unknown): string[] {
  const node = pre as { type?: string; pretokenizers?: unknown[]; pattern?: { Regex?: string } } | null;
  if (!node) return [];
  if (node.type === 'Sequence') return (node.pretokenizers ?? []).flatMap(splitRegexes);
  return node.type === 'Split' && node.pattern?.Regex ? [node.pattern.Regex] : [];
}

/** llama.cpp's name for a byte-level vocabulary's pre-tokenizer, or undefined when it is not one we know. */
export function preTokenizerName(pre: unknown): string | undefined {
  return PRE_TOKENIZERS[splitRegexes(pre).join(' ')];
}

const tokenText = (t: TokenField): string | undefined => (typeof t === 'string' ? t : (t?.content ?? undefined));

function chatTemplateOf(cfg: TokenizerConfig): string | undefined {
  const t = cfg.chat_template;
  if (typeof t === 'string') return t;
  return t?.find((x) => x.name === 'default')?.template ?? t?.[0]?.template;
}

/** Whether the post-processor prepends a BOS token (llama.cpp reads the same from tokenizer.json). */
function postProcessorAddsBos(post: unknown, bos: string | undefined): boolean {
  if (!bos) return false;
  const text = JSON.stringify(post ?? null);
  return text.includes('"TemplateProcessing"') && text.includes(`{"SpecialToken":{"id":${JSON.stringify(bos)}`);
}

/** Reads `dir`/tokenizer.json and, when present, `dir`/tokenizer_config.json. */
export function readHfTokenizer(dir: string, opts: { pre?: string; chatTemplate?: string } = {}): GgufVocab {
  const json = JSON.parse(readFileSync(join(dir, 'tokenizer.json'), 'utf8')) as TokenizerJson;
  let cfg: TokenizerConfig = {};
  try {
    cfg = JSON.parse(readFileSync(join(dir, 'tokenizer_config.json'), 'utf8')) as TokenizerConfig;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  return hfToGgufVocab(json, cfg, opts);
}

export function hfToGgufVocab(
  json: TokenizerJson,
  cfg: TokenizerConfig,
  opts: { pre?: string; chatTemplate?: string } = {},
): GgufVocab {
  if (json.model.type !== 'BPE')
    throw new Error(`tokenizer.json: only BPE models are supported, got ${json.model.type}`);
  const spm = json.model.byte_fallback === true;
  const added = new Map((json.added_tokens ?? []).map((a) => [a.id, a]));
  const byId = new Map<number, string>();
  for (const [text, id] of Object.entries(json.model.vocab)) byId.set(id, text);
  for (const a of added.values()) byId.set(a.id, a.content);
  let size = 0;
  for (const id of byId.keys()) size = Math.max(size, id + 1);
  const tokens: string[] = [];
  const types = new Int32Array(size);
  for (let id = 0; id < size; id++) {
    const text = byId.get(id);
    const extra = added.get(id);
    if (text === undefined) {
      tokens.push(`[PAD${id}]`);
      types[id] = TOKEN_TYPE.unused;
    } else if (extra) {
      const control = extra.special || looksSpecial(text);
      tokens.push(control || !spm ? text : text.replace(/\u2581/g, ' '));
      types[id] = control ? TOKEN_TYPE.control : TOKEN_TYPE.userDefined;
    } else {
      tokens.push(text);
      types[id] = spm && /^<0x[0-9A-F]{2}>$/.test(text) ? TOKEN_TYPE.byte : TOKEN_TYPE.normal;
    }
  }
  const index = new Map(tokens.map((t, i) => [t, i]));
  const idOf = (t: TokenField): number | undefined => {
    const text = tokenText(t);
    if (text === undefined) return undefined;
    const id = index.get(text);
    return id;
  };
  const merges = (json.model.merges ?? []).map((m) => (typeof m === 'string' ? m : m.join(' ')));
  const bosText = tokenText(cfg.bos_token);
  const eos = idOf(cfg.eos_token);
  if (eos === undefined) throw new Error('tokenizer_config.json: eos_token is missing or not in the vocabulary');
  const common = {
    tokens,
    types,
    bos: idOf(cfg.bos_token) ?? idOf(cfg.pad_token),
    eos,
    unk: idOf(cfg.unk_token),
    pad: idOf(cfg.pad_token),
    addBos: cfg.add_bos_token ?? postProcessorAddsBos(json.post_processor, bosText),
    chatTemplate: opts.chatTemplate ?? chatTemplateOf(cfg),
  };
  if (spm) {
    // SentencePiece merges the pair whose result scores highest; a token's first merge rank is its priority.
    const scores = new Float32Array(size).fill(-1e9);
    merges.forEach((m, rank) => {
      const id = index.get(m.replace(' ', ''));
      if (id !== undefined && scores[id] === -1e9) scores[id] = -rank;
    });
    types.forEach((t, id) => t !== TOKEN_TYPE.normal && (scores[id] = 0));
    return { ...common, model: 'llama', scores, addSpacePrefix: false };
  }
  const pre = opts.pre ?? preTokenizerName(json.pre_tokenizer);
  if (!pre) throw new Error('tokenizer.json: unknown pre-tokenizer; name llama.cpp’s (llama-bpe, qwen2, gpt-4o, …)');
  return { ...common, model: 'gpt2', pre, merges };
}
