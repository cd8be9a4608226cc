/**
 * node-llama-cpp, as patched here (patches/), lets a tool call leave out a parameter its schema does
 * not require: a scripted model calls Claude Code's real Bash tool with only `command`, and the call
 * comes back unchanged, where unpatched grammar made it invent `timeout`, `run_in_background` and the
 * rest. Required parameters stay enforced, and the grammar keeps the schema's order.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Llama, LlamaChat, LlamaJsonSchemaGrammar, getLlama } from 'node-llama-cpp';
import { type ScriptStep, makeScriptedModel } from '@app/core';
import { chatWrapperFor } from './chat-wrapper';

const dir = mkdtempSync(join(tmpdir(), 'cortex-optional-'));
const recorded = JSON.parse(
  readFileSync(resolve(__dirname, '../../../../test/fixtures/clients/claude-code-2.1.197-messages.json'), 'utf8'),
) as { body: { tools: Array<{ name: string; description: string; input_schema: Record<string, unknown> }> } };
const BASH = recorded.body.tools.find((t) => t.name === 'Bash')!;

/** A Qwen3-style call of Bash whose arguments are `args` (node-llama-cpp injects the name itself). */
const call = (args: string): ScriptStep[] => [
  '<tool_call>',
  '\n',
  ...['{', '"', 'na', 'me', '"', ':', '▁"'].map((token) => ({ token })),
  { context: ['"', ':', '▁'] },
  args,
  ...['\n', '\n', '\n', '\n'],
  { context: ['}', '\n', '</tool_call>'] },
];

let llama: Llama;
beforeAll(async () => {
  llama = await getLlama({ gpu: false, maxThreads: 1, build: 'never', progressLogs: false });
});
afterAll(async () => {
  await llama?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

async function callBash(args: string) {
  const made = makeScriptedModel({ out: join(dir, `m${Math.random()}.gguf`), script: call(args) });
  const nlc = await import('node-llama-cpp');
  const model = await llama.loadModel({ modelPath: made.file });
  const context = await model.createContext({ contextSize: 4096, threads: 1 });
  try {
    const chat = new LlamaChat({ contextSequence: context.getSequence(), chatWrapper: chatWrapperFor(nlc, model) });
    const res = await chat.generateResponse(
      [
        { type: 'user', text: 'List the files.' },
        { type: 'model', response: [] },
      ],
      {
        maxTokens: 300,
        temperature: 0,
        functions: { Bash: { description: BASH.description, params: BASH.input_schema as never } },
      },
    );
    return res.functionCalls ?? [];
  } finally {
    await context.dispose();
    await model.dispose();
  }
}

describe('optional tool parameters (patched grammar)', () => {
  it('a call of Claude Code’s Bash with only `command` is accepted unchanged', async () => {
    const calls = await callBash('{"command": "ls"}');
    expect(calls).toHaveLength(1);
    expect(calls[0]!.params).toEqual({ command: 'ls' });
  });

  it('optional parameters the model writes are kept, in the schema’s order', async () => {
    const calls = await callBash('{"command": "ls", "run_in_background": true}');
    expect(calls[0]!.params).toEqual({ command: 'ls', run_in_background: true });
  });

  it('a required parameter cannot be left out: the grammar makes the model write it', async () => {
    const calls = await callBash('{"timeout": 5}');
    expect(calls).toHaveLength(1);
    expect(typeof (calls[0]!.params as unknown as { command?: unknown }).command).toBe('string');
  });

  it('JSON schema grammars (response_format) accept a missing optional key and refuse a missing required one', () => {
    const grammar = new LlamaJsonSchemaGrammar(llama, BASH.input_schema as never);
    expect(grammar.parse('{"command": "ls"}')).toEqual({ command: 'ls' });
    expect(() => grammar.parse('{"timeout": 5}')).toThrow(/Missing keys: "command"/);
    expect(grammar.grammar).toContain(')?');
  });
});
