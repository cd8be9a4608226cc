// LangChain.js: a chat model with a bound tool, the tool loop run by hand as LangChain's docs show, over one model class (argv).
import { ChatAnthropic } from '@langchain/anthropic';
import { HumanMessage, ToolMessage } from '@langchain/core/messages';
import { tool } from '@langchain/core/tools';
import { ChatOpenAI } from '@langchain/openai';
import { z } from 'zod';
import { getWeather, KEY, MODEL, QUESTION, report, URL } from './common.mjs';

const [kind, mode] = process.argv.slice(2);
const base = { model: MODEL, apiKey: KEY, maxTokens: 300, maxRetries: 0 };
const llm = {
  chat: () => new ChatOpenAI({ ...base, configuration: { baseURL: `${URL}/v1` } }),
  responses: () => new ChatOpenAI({ ...base, useResponsesApi: true, configuration: { baseURL: `${URL}/v1` } }),
  anthropic: () => new ChatAnthropic({ ...base, anthropicApiUrl: URL }),
}[kind]();
const weather = tool(async ({ city }) => getWeather({ city }), {
  name: 'get_weather',
  description: 'the weather now',
  schema: z.object({ city: z.string() }),
});
const model = llm.bindTools([weather]);

async function invoke(messages) {
  if (mode !== 'stream') return model.invoke(messages);
  let whole;
  for await (const chunk of await model.stream(messages)) whole = whole ? whole.concat(chunk) : chunk;
  return whole;
}

const messages = [new HumanMessage(QUESTION)];
const calls = [];
let answer;
let outputTokens = 0;
for (let step = 0; step < 4; step++) {
  answer = await invoke(messages);
  outputTokens += answer.usage_metadata?.output_tokens ?? 0;
  messages.push(answer);
  if (!answer.tool_calls?.length) break;
  for (const call of answer.tool_calls) {
    calls.push({ name: call.name, input: call.args });
    messages.push(new ToolMessage({ tool_call_id: call.id, content: await weather.invoke(call.args) }));
  }
}
report({ text: answer.text, calls, steps: messages.filter((m) => m.getType() === 'ai').length, outputTokens });
