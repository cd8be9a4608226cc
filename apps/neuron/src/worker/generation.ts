/**
 * One generation on a leased sequence: chat (through the model's chat wrapper, with tools, thought
 * budgets, JSON-schema grammars and a forced call) or plain completion, clamped to the context, with
 * node-llama-cpp's stop reasons mapped to OpenAI finish reasons.
 */
import type { GenerationResult, ParentToChild } from '@app/core';
import { contextLengthMessage } from '@app/core';
import type {
  ChatHistoryItem,
  ChatModelFunctions,
  Llama,
  LlamaContextSequence,
  LlamaGrammar,
  Nlc,
} from './engine-types';
import { forcingToolCall } from './forced-call';
import { answerText, generationOptions, thoughtsOf } from './generation-options';
import type { LoadedModel } from './loaded-model';
import { RequestFailure } from './request-failure';
import { type TokenCounter, callId } from './token-counter';

type GenerateMsg = Extract<ParentToChild, { type: 'generate' }>;

/** A chat request's history and tools as node-llama-cpp takes them, and its prompt's tokens. */
export interface Prompt {
  tokens: number[];
  history?: ChatHistoryItem[];
  functions?: ChatModelFunctions;
  /**
   * Tokens of a partial answer the history ends with (continue_final_message): part of the answer,
   * so they count against max_tokens and as completion tokens, not as prompt.
   */
  carried?: number;
  /** Of those, the thought's tokens (reasoning tokens of the whole answer). */
  carriedThought?: number;
}

export class Generation {
  constructor(
    private readonly nlc: Nlc,
    private readonly llama: Llama,
  ) {}

  private clampMaxTokens(entry: LoadedModel, promptTokens: number, requested: number): number {
    const room = entry.contextSize - promptTokens;
    if (room <= 0) {
      throw new RequestFailure({
        kind: 'context_length',
        code: 'context_length_exceeded',
        param: 'messages',
        message: contextLengthMessage(promptTokens, entry.contextSize),
      });
    }
    return Math.min(requested, room);
  }

  private async grammar(schema: Record<string, unknown> | undefined): Promise<LlamaGrammar | undefined> {
    if (!schema) return undefined;
    if (Object.keys(schema).length === 0) return this.llama.getGrammarFor('json');
    try {
      return await this.llama.createGrammarForJsonSchema(schema as never);
    } catch (err) {
      throw new RequestFailure({
        kind: 'bad_request',
        param: 'response_format.json_schema',
        message: `response_format.json_schema: ${(err as Error).message}`,
      });
    }
  }

  async chat(
    msg: GenerateMsg,
    entry: LoadedModel,
    seq: LlamaContextSequence,
    signal: AbortSignal,
    counter: TokenCounter,
    prompt: Prompt,
  ): Promise<GenerationResult> {
    const functions = prompt.functions;
    const forced = functions && msg.toolChoice === 'required';
    const chat = new this.nlc.LlamaChat({
      contextSequence: seq,
      autoDisposeSequence: false,
      chatWrapper: forced ? forcingToolCall(this.nlc, entry.chatWrapper) : entry.chatWrapper,
    });
    try {
      const history = prompt.history ?? [];
      const carried = prompt.carried ?? 0;
      const promptTokens = prompt.tokens.length - carried;
      const left = Math.max(1, msg.params.maxTokens - carried);
      const maxTokens = this.clampMaxTokens(entry, prompt.tokens.length, left);
      const grammar = await this.grammar(msg.params.jsonSchema);
      const calls = functions
        ? {
            functions,
            onFunctionCallParamsChunk: counter.onFunctionCallParamsChunk,
            ...(msg.singleToolCall ? { maxParallelFunctionCalls: 1 } : {}),
          }
        : {};
      const res = await chat.generateResponse(history, {
        ...generationOptions(msg.params, maxTokens, signal, counter),
        onResponseChunk: counter.onResponseChunk,
        ...(msg.params.thoughtTokens !== undefined ? { budgets: { thoughtTokens: msg.params.thoughtTokens } } : {}),
        ...(grammar ? { grammar } : calls),
      });
      assertNotAborted(res.metadata.stopReason);
      const made = (res.functionCalls ?? []) as ReadonlyArray<{ functionName: string; params?: unknown }>;
      const stop = res.metadata.stopReason;
      // A call max_tokens cut mid-arguments is answered as it was streamed (partial arguments,
      // finish "length"), so a JSON answer and a stream of one request agree.
      const cut = stop === 'maxTokens' ? counter.partialCalls(made.length) : [];
      const toolCalls = [
        ...made.map((c, i) => ({
          id: callId(msg.reqId, i),
          name: c.functionName,
          arguments: counter.argumentsOf(i, c.params),
        })),
        ...cut.map((c) => ({ id: callId(msg.reqId, c.index), name: c.name, arguments: c.args })),
      ];
      const reasoning = thoughtsOf(res.fullResponse);
      const reasoningTokens = counter.reasoningTokens + (prompt.carriedThought ?? 0);
      return {
        text: answerText(res.fullResponse),
        ...(reasoning ? { reasoning } : {}),
        ...(reasoning || reasoningTokens ? { reasoningTokens } : {}),
        finishReason: stop === 'maxTokens' ? 'length' : toolCalls.length ? 'tool_calls' : 'stop',
        ...(stop === 'customStopTrigger' ? { matchedStop: res.metadata.customStopTrigger.join('') } : {}),
        ...(toolCalls.length ? { toolCalls } : {}),
        promptTokens,
        ...counted(counter.totals(), carried),
      };
    } finally {
      chat.dispose({ disposeSequence: false });
    }
  }

  async complete(
    msg: GenerateMsg,
    entry: LoadedModel,
    seq: LlamaContextSequence,
    signal: AbortSignal,
    counter: TokenCounter,
  ): Promise<GenerationResult> {
    const completion = new this.nlc.LlamaCompletion({ contextSequence: seq });
    try {
      const prompt = msg.prompt ?? '';
      const promptTokens = entry.model.tokenize(prompt).length + 1;
      const maxTokens = this.clampMaxTokens(entry, promptTokens, msg.params.maxTokens);
      const grammar = await this.grammar(msg.params.jsonSchema);
      const res = await completion.generateCompletionWithMeta(prompt, {
        ...generationOptions(msg.params, maxTokens, signal, counter),
        ...(grammar ? { grammar } : {}),
      });
      assertNotAborted(res.metadata.stopReason);
      const stop = res.metadata.stopReason;
      return {
        text: res.response,
        finishReason: stop === 'maxTokens' ? 'length' : 'stop',
        ...(stop === 'customStopTrigger' ? { matchedStop: res.metadata.customStopTrigger.join('') } : {}),
        promptTokens,
        ...counter.totals(),
      };
    } finally {
      completion.dispose({ disposeSequence: false });
    }
  }
}

/** A continued answer's totals: the tokens it was given count as generated. */
function counted<T extends { completionTokens: number }>(totals: T, carried: number): T {
  return { ...totals, completionTokens: totals.completionTokens + carried };
}

function assertNotAborted(stopReason: string): void {
  if (stopReason === 'abort') throw new RequestFailure({ kind: 'aborted', message: 'request aborted' });
}
