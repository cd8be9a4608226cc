// OpenAI Agents SDK: an agent with one function tool, run to its final output, over Responses or chat completions (argv).
import { Agent, run, setDefaultOpenAIClient, setOpenAIAPI, setTracingDisabled, tool } from '@openai/agents';
import OpenAI from 'openai';
import { z } from 'zod';
import { getWeather, KEY, MODEL, QUESTION, report, URL } from './common.mjs';

const [api, mode] = process.argv.slice(2);
setTracingDisabled(true); // traces would go to OpenAI
setDefaultOpenAIClient(new OpenAI({ baseURL: `${URL}/v1`, apiKey: KEY, maxRetries: 0 }));
setOpenAIAPI(api);
const agent = new Agent({
  name: 'weather',
  instructions: 'Answer with the weather tool.',
  model: MODEL,
  modelSettings: { maxTokens: 300 },
  tools: [
    tool({
      name: 'get_weather',
      description: 'the weather now',
      parameters: z.object({ city: z.string() }),
      execute: async ({ city }) => getWeather({ city }),
    }),
  ],
});
const result = await run(agent, QUESTION, { stream: mode === 'stream', maxTurns: 4 });
let streamed = '';
if (mode === 'stream') {
  for await (const event of result) {
    if (event.type === 'raw_model_stream_event' && event.data.type === 'output_text_delta')
      streamed += event.data.delta;
  }
  await result.completed;
}
const items = result.newItems;
report({
  text: result.finalOutput,
  streamed: mode === 'stream' ? streamed : undefined,
  calls: items
    .filter((i) => i.type === 'tool_call_item')
    .map((i) => ({ name: i.rawItem.name, input: JSON.parse(i.rawItem.arguments) })),
  steps: result.rawResponses.length,
  outputTokens: result.state.usage.outputTokens,
});
