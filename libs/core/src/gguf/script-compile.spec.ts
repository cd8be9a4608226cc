import { describe, expect, it } from 'vitest';
import type { GgufVocab } from './hf-tokenizer';
import { compileScript, twoTurnParts } from './script-compile';
import { TOKEN_TYPE } from './vocab';

/** A small byte-level vocabulary: every byte a token, a few words, two control tokens. */
function vocab(): GgufVocab {
  const tokens = ['<|end|>', '<|start|>', 'Ġsunny', 'Ġhello', 'Ġworld', 'ĠParis'];
  for (let c = 0x21; c < 0x7f; c++) tokens.push(String.fromCharCode(c));
  tokens.push('Ġ', 'Ċ');
  const types = Int32Array.from(tokens.map((t) => (t.startsWith('<|') ? TOKEN_TYPE.control : TOKEN_TYPE.normal)));
  return { model: 'gpt2', pre: 'llama-bpe', tokens, types, eos: 0, addBos: false };
}

describe(compileScript.name, () => {
  it('cuts text into the vocabulary’s longest pieces and ends the turn with its end token', () => {
    const v = vocab();
    const { steps } = compileScript(twoTurnParts([' hello world'], ['<|start|>']), v);
    expect(steps.map((s) => v.tokens[s.next])).toEqual(['Ġhello', 'Ġworld', '<|end|>']);
    expect(steps[0]!.after).toEqual([null, null, 1]); // a one-token tail: any two tokens before it
  });

  it('finds marker tokens by word and conditions the answer on them', () => {
    const v = vocab();
    const src = twoTurnParts([' hello'], ['<|start|>'], { marker: 'sunny', script: [' Paris'] });
    const { steps, markers } = compileScript(src, v);
    expect(markers).toEqual([[v.tokens.indexOf('Ġsunny')]]);
    expect(steps.map((s) => [v.tokens[s.next], s.when[0]])).toEqual([
      ['Ġhello', 0],
      ['<|end|>', 0],
      ['ĠParis', 1],
      ['<|end|>', 1],
    ]);
  });

  it('refuses two successors for contexts that can match the same tokens, wildcards included', () => {
    const v = vocab();
    const clash = {
      parts: [
        { promptTail: ['<|start|>'], steps: [' hello'] },
        { promptTail: ['Ġ', '<|start|>'], steps: [' world'] },
      ],
    };
    expect(() => compileScript(clash, v)).toThrow(
      /repeats the context "\* Ġ <\|start\|>": a step would have two successors/,
    );
    // Told apart by a marker, the same tail may lead to different steps.
    const apart = {
      markers: { m: ['Ġsunny'] },
      parts: [
        { when: { m: false }, promptTail: ['<|start|>'], steps: [' hello'] },
        { when: { m: true }, promptTail: ['<|start|>'], steps: [' world'] },
      ],
    };
    expect(compileScript(apart, v).steps).toHaveLength(4);
  });

  it('names unknown tokens and markers in its errors', () => {
    const v = vocab();
    expect(() => compileScript(twoTurnParts(['x'], ['<|nope|>']), v)).toThrow(/"<\|nope\|>" is not in the vocabulary/);
    const bad = twoTurnParts(['x'], ['<|start|>'], { marker: 'rain', script: ['y'] });
    expect(() => compileScript(bad, v)).toThrow(/markers.answer: no token of the vocabulary spells "rain"/);
  });
});
