/**
 * The scripted test model through real llama.cpp decoding and node-llama-cpp's own parsing, with
 * the wrapper the worker picks for it: a thought segment, a tool call whose arguments arrive in
 * more than one fragment, and text, exactly as scripted.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Llama, LlamaChat, getLlama } from 'node-llama-cpp';
import { makeScriptedModel } from '@app/core';
import { chatWrapperFor, fitHistory } from './chat-wrapper';
import { forcingToolCall } from './forced-call';
import { WEATHER_ANSWERS, WEATHER_CALL, WEATHER_THOUGHT } from '../../../../test/helpers/weather-script';

const dir = mkdtempSync(join(tmpdir(), 'cortex-scripted-'));
const FUNCTIONS = {
  get_weather: { description: 'weather now', params: { type: 'object', properties: { city: { type: 'string' } } } },
} as const;

let llama: Llama;
beforeAll(async () => {
  llama = await getLlama({ gpu: false, maxThreads: 1, build: 'never', progressLogs: false });
});
afterAll(async () => {
  await llama?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

async function run(
  script: Parameters<typeof makeScriptedModel>[0]['script'],
  functions?: typeof FUNCTIONS,
  force = false,
) {
  const made = makeScriptedModel({ out: join(dir, `m${Math.random()}.gguf`), script });
  const nlc = await import('node-llama-cpp');
  const model = await llama.loadModel({ modelPath: made.file });
  const context = await model.createContext({ contextSize: 2048, threads: 1 });
  const own = chatWrapperFor(nlc, model);
  const chatWrapper = force ? forcingToolCall(nlc, own) : own;
  const chat = new LlamaChat({ contextSequence: context.getSequence(), chatWrapper });
  const fragments: string[] = [];
  const res = await chat.generateResponse(
    [
      { type: 'user', text: 'What is the weather in Paris?' },
      { type: 'model', response: [] },
    ],
    {
      maxTokens: 200,
      temperature: 0.7,
      ...(functions ? { functions, onFunctionCallParamsChunk: (c) => fragments.push(c.paramsChunk) } : {}),
    },
  );
  const wrapper = chat.chatWrapper.wrapperName;
  await context.dispose();
  await model.dispose();
  return { res, fragments, wrapper };
}

describe(chatWrapperFor.name, () => {
  it('a scripted model thinks, then answers, parsed by the Qwen wrapper its GGUF names', async () => {
    const { res, wrapper } = await run([...WEATHER_THOUGHT, 'It is sunny in Paris.']);
    expect(wrapper).toBe('Qwen');
    expect(res.metadata.stopReason).toBe('eogToken');
    expect(res.response).toBe('\nIt is sunny in Paris.');
    const thought = res.fullResponse.find((r) => typeof r === 'object' && r.type === 'segment');
    expect(thought).toMatchObject({ segmentType: 'thought', ended: true });
    expect((thought as { text: string }).text.trim()).toBe('The user wants the weather in Paris, so I call the tool.');
  });

  it('a scripted model calls a tool, its arguments in more than one fragment', async () => {
    const { res, fragments } = await run([...WEATHER_THOUGHT, ...WEATHER_CALL], FUNCTIONS);
    expect(res.metadata.stopReason).toBe('functionCalls');
    expect(res.functionCalls).toHaveLength(1);
    expect(res.functionCalls![0]).toMatchObject({ functionName: 'get_weather', params: { city: 'Paris' } });
    expect(fragments.filter((f) => f.trim()).length).toBeGreaterThanOrEqual(2);
    expect(fragments.join('').trim()).toBe('{"city": "Paris"}');
  });

  it('answers in text when a call is optional, and calls the tool when one is forced', async () => {
    const free = await run(WEATHER_ANSWERS, FUNCTIONS);
    expect(free.res.functionCalls ?? []).toHaveLength(0);
    expect(free.res.response).toBe('It is sunny in Paris.');
    const forced = await run(WEATHER_ANSWERS, FUNCTIONS, true);
    expect(forced.res.metadata.stopReason).toBe('functionCalls');
    expect(forced.res.functionCalls).toHaveLength(1);
    expect(forced.res.functionCalls![0]).toMatchObject({ functionName: 'get_weather', params: { city: 'Paris' } });
    expect(forced.wrapper).toBe('Qwen');
  });

  it('allows repeated tokens in new contexts, and refuses a context with two successors', () => {
    const ok = ['<think>', { token: '▁' }, '\n', 'Alpha beta', { token: '▁' }, '\n', '</think>'];
    expect(() => makeScriptedModel({ out: join(dir, 'ok.gguf'), script: ok })).not.toThrow();
    const twice = ['<tool_call>', { token: '▁' }, '\n', 'alpha', '<tool_call>', { token: '▁' }, '\n', 'omega'];
    expect(() => makeScriptedModel({ out: join(dir, 'bad.gguf'), script: twice })).toThrow(/repeats the context/);
  });
});

describe(fitHistory.name, () => {
  const thought = { type: 'segment', segmentType: 'thought', text: 'hmm', ended: true };
  const call = { type: 'functionCall', name: 'f', params: {}, result: 'r' };

  it('puts Qwen’s blank line after a thought, before a call or text, as its templates render it', () => {
    const history = [
      { type: 'user', text: 'q' },
      { type: 'model', response: [thought, call] },
      { type: 'model', response: [thought, '\nanswer'] },
    ];
    expect(fitHistory('Qwen', history)).toEqual([
      { type: 'user', text: 'q' },
      { type: 'model', response: [thought, '\n\n', call] },
      { type: 'model', response: [thought, '\n\nanswer'] },
    ]);
  });

  it('leaves other wrappers’ histories alone', () => {
    const history = [{ type: 'model', response: [thought, call] }];
    expect(fitHistory('Harmony', history)).toBe(history);
  });
});
