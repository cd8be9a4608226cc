/** The scripts of the generated test models that think and call get_weather, shared by the unit and e2e tiers. */
import type { ScriptStep } from '@app/core';

export const WEATHER_THOUGHT_TEXT = 'The user wants the weather in Paris, so I call the tool.';

/** A Qwen3-style thought segment. */
export const WEATHER_THOUGHT: ScriptStep[] = [
  '<think>',
  { token: '▁' },
  '\n',
  WEATHER_THOUGHT_TEXT,
  { token: '▁' },
  '\n',
  '</think>',
  // A thought cut short by a budget is closed by node-llama-cpp and tokenized afresh: whatever came
  // before the closing "\n</think>", the script goes on.
  { context: [null, '\n', '</think>'] },
  '\n',
];

/** Where node-llama-cpp's call leaves off (after it injects the name): the arguments, then the call's end. */
export const WEATHER_ARGS: ScriptStep[] = [
  { context: ['"', ':', '▁'] },
  '{"city":',
  ' "Paris"}',
  // node-llama-cpp ends the arguments at four newlines, then evaluates the call's suffix itself.
  ...['\n', '\n', '\n', '\n'],
  { context: ['}', '\n', '</tool_call>'] },
];

/** A Qwen3-style tool call of get_weather({"city": "Paris"}), its arguments in more than one fragment. */
export const WEATHER_CALL: ScriptStep[] = [
  '<tool_call>',
  '\n',
  ...['{', '"', 'na', 'me', '"', ':', '▁"'].map((token) => ({ token })),
  ...WEATHER_ARGS,
];

/** A model that answers in text, yet whose call arguments follow where a forced call leaves off. */
export const WEATHER_ANSWERS: ScriptStep[] = ['It is sunny in Paris.', '<|im_end|>', ...WEATHER_ARGS];
