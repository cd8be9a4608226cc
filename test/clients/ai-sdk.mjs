// Vercel AI SDK 7: a multi-step tool loop (generateText and streamText) through one provider, chosen by argv.
import { createAnthropic } from '@ai-sdk/anthropic';
import { createOpenAI } from '@ai-sdk/openai';
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { generateText, isStepCount, streamText, tool } from 'ai';
import { z } from 'zod';
import { getWeather, KEY, MODEL, QUESTION, report, URL } from './common.mjs';

const [provider, mode] = process.argv.slice(2);
const models = {
  // The default OpenAI provider speaks Responses, stores responses and refers back to their items.
  responses: () => createOpenAI({ baseURL: `${URL}/v1`, apiKey: KEY })(MODEL),
  compatible: () => createOpenAICompatible({ name: 'cortex', baseURL: `${URL}/v1`, apiKey: KEY }).chatModel(MODEL),
  anthropic: () => createAnthropic({ baseURL: `${URL}/v1`, apiKey: KEY })(MODEL),
};
const args = {
  model: models[provider](),
  prompt: QUESTION,
  maxOutputTokens: 300,
  stopWhen: isStepCount(4),
  tools: {
    get_weather: tool({
      description: 'the weather now',
      inputSchema: z.object({ city: z.string() }),
      execute: async ({ city }) => getWeather({ city }),
    }),
  },
};
let result;
if (mode === 'stream') {
  const s = streamText(args);
  let streamed = '';
  for await (const part of s.fullStream) if (part.type === 'text-delta') streamed += part.text;
  result = { text: await s.text, streamed, steps: await s.steps, usage: await s.totalUsage };
} else {
  const r = await generateText(args);
  result = { text: r.text, steps: r.steps, usage: r.totalUsage };
}
report({
  text: result.text,
  streamed: result.streamed,
  reasoning: result.steps.map((s) => s.reasoningText ?? '').join(''),
  calls: result.steps.flatMap((s) => s.toolCalls.map((c) => ({ name: c.toolName, input: c.input }))),
  steps: result.steps.length,
  finish: result.steps.map((s) => s.finishReason),
  outputTokens: result.usage.outputTokens,
});
