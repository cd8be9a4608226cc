import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChatMLChatWrapper, LlamaChatSession, getLlama, readGgufFileInfo } from 'node-llama-cpp';
import type { Llama, LlamaContext, LlamaModel } from 'node-llama-cpp';
import { makeModel } from './make-model';
import { PRESETS, countParams } from './presets';

const dir = mkdtempSync(join(tmpdir(), 'cortex-gguf-'));
const sha = (file: string): string => createHash('sha256').update(readFileSync(file)).digest('hex');

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe(makeModel.name, () => {
  it.each(['f32', 'f16', 'q8_0'] as const)('writes byte-identical %s files for the same seed', (quant) => {
    const a = makeModel({ preset: 'tiny', out: join(dir, `a-${quant}.gguf`), quant, seed: 11 });
    const b = makeModel({ preset: 'tiny', out: join(dir, `b-${quant}.gguf`), quant, seed: 11 });
    const c = makeModel({ preset: 'tiny', out: join(dir, `c-${quant}.gguf`), quant, seed: 12 });
    expect(sha(a.file)).toBe(sha(b.file));
    expect(sha(a.file)).not.toBe(sha(c.file));
    expect(a.bytes).toBe(readFileSync(a.file).length);
  });

  it('keeps the tiny preset well under 1M parameters with a context of at least 1024', () => {
    expect(countParams(PRESETS.tiny)).toBeLessThan(500_000);
    expect(PRESETS.tiny.contextLength).toBeGreaterThanOrEqual(1024);
    expect(countParams(PRESETS.small)).toBeGreaterThan(130e6);
  });

  it('writes metadata that node-llama-cpp’s GGUF reader understands, including --context', async () => {
    const file = join(dir, 'ctx.gguf');
    makeModel({ preset: 'tiny', out: file, quant: 'q8_0', context: 131072 });
    const info = await readGgufFileInfo(file, { readTensorInfo: true });
    expect(info.version).toBe(3);
    expect(info.metadata.general.architecture).toBe('llama');
    expect(info.architectureMetadata.context_length).toBe(131072);
    expect(info.metadata.tokenizer.ggml.model).toBe('llama');
    expect(info.metadata.tokenizer.chat_template).toContain('<|im_start|>');
    expect(info.tensorInfo?.find((t) => t.name === 'output.weight')?.ggmlType).toBe(8);
    expect(info.tensorInfo?.find((t) => t.name === 'output_norm.weight')?.ggmlType).toBe(0);
  });
});

describe('node-llama-cpp on a generated tiny model (CPU, 1 thread)', () => {
  let llama: Llama;
  let model: LlamaModel;
  let context: LlamaContext;

  beforeAll(async () => {
    const file = join(dir, 'nested', 'chat.gguf');
    makeModel({ preset: 'tiny', out: file, quant: 'q8_0', seed: 3 });
    llama = await getLlama({
      gpu: false,
      maxThreads: 1,
      build: 'never',
      progressLogs: false,
      logLevel: 'error' as never,
    });
    model = await llama.loadModel({ modelPath: file });
    context = await model.createContext({ contextSize: 2048, threads: 1, sequences: 2 });
  });
  afterAll(async () => {
    await context?.dispose();
    await model?.dispose();
    await llama?.dispose();
  });

  const chat = async (seq: number): Promise<{ text: string; tokens: number; wrapper: unknown }> => {
    const session = new LlamaChatSession({ contextSequence: context.getSequence() });
    let tokens = 0;
    const text = await session.prompt('Say something about the weather.', {
      maxTokens: 48,
      seed: seq,
      temperature: 0.8,
      onToken: (t) => (tokens += t.length),
    });
    const wrapper = session.chatWrapper;
    session.dispose({ disposeSequence: true });
    return { text, tokens, wrapper };
  };

  it('picks the ChatML wrapper and generates exactly maxTokens, the same text for the same seed', async () => {
    const first = await chat(7);
    const second = await chat(7);
    expect(first.wrapper).toBeInstanceOf(ChatMLChatWrapper);
    expect(first.tokens).toBe(48);
    expect(second.tokens).toBe(48);
    expect(second.text).toBe(first.text);
    expect(first.text.length).toBeGreaterThan(0);
  });

  it('round-trips text through tokenize and detokenize, with byte fallback', () => {
    const text = 'Hello wörld!\n{"tool": [1, 2]}\t日本語 — done';
    const tokens = model.tokenize(text);
    expect(tokens.length).toBeGreaterThan(10);
    expect(model.detokenize(tokens)).toBe(text);
    expect(model.tokenize('<|im_start|>', true)).toEqual([3]);
  });

  it('never samples an end-of-generation token in --eog never mode', async () => {
    const seq = context.getSequence();
    let eog = 0;
    let n = 0;
    for await (const token of seq.evaluate(model.tokenize('abc'), { temperature: 1, seed: 5, yieldEogToken: true })) {
      if (model.isEogToken(token)) eog++;
      if (++n >= 500) break;
    }
    seq.dispose();
    expect(n).toBe(500);
    expect(eog).toBe(0);
  });
});
