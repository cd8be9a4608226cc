import { describe, expect, it } from 'vitest';
import { hfToGgufVocab, preTokenizerName } from './hf-tokenizer';
import { TOKEN_TYPE } from './vocab';

const LLAMA3_REGEX =
  "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
const split = (regex: string) => ({
  type: 'Sequence',
  pretokenizers: [
    { type: 'Split', pattern: { Regex: regex }, behavior: 'Isolated', invert: false },
    { type: 'ByteLevel', add_prefix_space: false },
  ],
});

describe(hfToGgufVocab.name, () => {
  const byteLevel = {
    model: {
      type: 'BPE',
      vocab: { a: 0, b: 1, ab: 2, Ġa: 3 },
      merges: ['a b', ['Ġ', 'a']] as Array<string | [string, string]>,
    },
    added_tokens: [
      { id: 5, content: '<|eot|>', special: true },
      { id: 6, content: '<think>', special: false },
      { id: 7, content: '<|looks_special|>', special: false },
    ],
    pre_tokenizer: split(LLAMA3_REGEX),
    post_processor: { type: 'TemplateProcessing', single: [{ SpecialToken: { id: '<|eot|>', type_id: 0 } }] },
  };

  it('writes a byte-level BPE vocabulary as gpt2 with merges, pre-tokenizer, added-token types and padding', () => {
    const v = hfToGgufVocab(byteLevel, { eos_token: '<|eot|>', chat_template: 'T' });
    expect(v).toMatchObject({ model: 'gpt2', pre: 'llama-bpe', eos: 5, chatTemplate: 'T' });
    expect(v.tokens).toEqual(['a', 'b', 'ab', 'Ġa', '[PAD4]', '<|eot|>', '<think>', '<|looks_special|>']);
    expect([...v.types]).toEqual([1, 1, 1, 1, TOKEN_TYPE.unused, 3, TOKEN_TYPE.userDefined, TOKEN_TYPE.control]);
    expect(v.merges).toEqual(['a b', 'Ġ a']);
  });

  it('refuses an unknown pre-tokenizer unless one is named', () => {
    const odd = { ...byteLevel, pre_tokenizer: split('\\w+') };
    expect(() => hfToGgufVocab(odd, { eos_token: '<|eot|>' })).toThrow(/unknown pre-tokenizer/);
    expect(hfToGgufVocab(odd, { eos_token: '<|eot|>' }, { pre: 'qwen2' }).pre).toBe('qwen2');
    expect(preTokenizerName(split(LLAMA3_REGEX.replace('{1,3}', '')))).toBe('qwen2');
  });

  it('writes a byte-fallback vocabulary as SentencePiece, its merge order as scores', () => {
    const spm = {
      model: {
        type: 'BPE',
        byte_fallback: true,
        vocab: { '<unk>': 0, '<0x0A>': 1, '▁': 2, h: 3, i: 4, hi: 5, '▁hi': 6 },
        merges: ['h i', '▁ hi'],
      },
      added_tokens: [
        { id: 0, content: '<unk>', special: true },
        { id: 7, content: '<end_of_turn>', special: true },
      ],
    };
    const v = hfToGgufVocab(spm, { eos_token: '<end_of_turn>', bos_token: null, add_bos_token: true });
    expect(v).toMatchObject({ model: 'llama', eos: 7, addBos: true, addSpacePrefix: false });
    expect(v.types[1]).toBe(TOKEN_TYPE.byte);
    expect(v.scores![5]).toBeGreaterThan(v.scores![6]!); // "hi" merges before "▁hi"
    expect(v.scores![3]).toBeLessThan(v.scores![6]!); // single characters never merge into being
  });

  it('needs an end-of-turn token', () => {
    expect(() => hfToGgufVocab(byteLevel, {})).toThrow(/eos_token/);
  });
});
