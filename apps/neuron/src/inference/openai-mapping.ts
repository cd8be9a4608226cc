/**
 * Validated OpenAI request bodies → worker messages and sampling parameters, and worker results →
 * OpenAI response and chunk shapes. Pure functions.
 */
import {
  type GenerationEvent,
  type GenerationResult,
  type SamplingParams,
  type WorkerMessage,
  type WorkerTool,
  invalidField,
} from '@app/core';
import type { ChatCompletionDto, ChatMessageDto, ReasoningEffort, SamplingDto } from './dto/chat-completion.dto';

function text(content: ChatMessageDto['content'], path: string): string {
  if (content === null || content === undefined) return '';
  if (typeof content === 'string') return content;
  return content
    .map((part, j) => {
      if (part.type === 'text') return String(part.text);
      throw invalidField(
        `${path}[${j}]`,
        `${path}[${j}]: this model reads text only; ${String(part.type)} parts are not supported`,
        'vision_unsupported',
      );
    })
    .join('\n');
}

/** `continueLast`: the last message is an answer cut short, to go on with (continue_final_message). */
export function toWorkerMessages(messages: ChatMessageDto[], continueLast = false): WorkerMessage[] {
  if (messages.length === 0)
    throw invalidField('messages', 'messages: expected at least one message, got an empty array');
  const out = messages.map((m, i): WorkerMessage => {
    const path = `messages[${i}].content`;
    switch (m.role) {
      case 'system':
      case 'developer':
        return { role: 'system', content: text(m.content, path) };
      case 'user':
        return { role: 'user', content: text(m.content, path) };
      case 'assistant':
        return {
          role: 'assistant',
          content: text(m.content, path),
          ...(m.reasoning_content ? { thought: m.reasoning_content } : {}),
          ...(m.tool_calls?.length
            ? {
                toolCalls: m.tool_calls.map((c) => ({
                  id: c.id,
                  name: c.function.name,
                  arguments: c.function.arguments ?? '{}',
                })),
              }
            : {}),
        };
      case 'tool':
        if (!m.tool_call_id) {
          throw invalidField(
            `messages[${i}].tool_call_id`,
            `messages[${i}].tool_call_id: expected the id of the tool call answered, got nothing`,
          );
        }
        return { role: 'tool', toolCallId: m.tool_call_id, content: text(m.content, path) };
    }
  });
  if (continueLast) {
    const last = out.at(-1)!;
    const param = 'continue_final_message';
    if (last.role !== 'assistant')
      throw invalidField(param, `${param}: expected the last message to be the assistant's answer, got ${last.role}`);
    if (last.toolCalls?.length)
      throw invalidField(
        param,
        `${param}: the answer to go on with cannot carry tool_calls (calls are generated whole)`,
      );
    last.partial = true;
  }
  return out;
}

export function toWorkerTools(dto: ChatCompletionDto): {
  tools?: WorkerTool[];
  toolChoice?: 'auto' | 'none' | 'required';
  singleToolCall?: boolean;
} {
  if (!dto.tools?.length) return {};
  const rf = dto.response_format?.type;
  if ((rf === 'json_object' || rf === 'json_schema') && dto.tool_choice !== 'none')
    // node-llama-cpp constrains either the JSON or the calls, never both: refuse rather than drop one.
    throw invalidField(
      'response_format',
      `response_format ${rf} cannot be combined with tools; send tool_choice "none" or leave one out`,
    );
  const single = dto.parallel_tool_calls === false ? { singleToolCall: true } : {};
  let tools: WorkerTool[] = dto.tools.map((t) => ({
    name: t.function.name,
    description: t.function.description,
    parameters: t.function.parameters,
  }));
  const choice = dto.tool_choice ?? 'auto';
  if (typeof choice === 'object') {
    tools = tools.filter((t) => t.name === choice.function.name);
    if (!tools.length)
      throw invalidField('tool_choice', `tool_choice.function.name: no tool named "${choice.function.name}" in tools`);
    return { tools, toolChoice: 'required', ...single };
  }
  return { tools, toolChoice: choice, ...single };
}

/** Thought tokens per reasoning_effort; `high` leaves node-llama-cpp's own budget (half the context). */
export const THOUGHT_BUDGETS: Record<ReasoningEffort, number | undefined> = {
  none: 0,
  minimal: 256,
  low: 1024,
  medium: 4096,
  high: undefined,
};

/** thinking_budget wins over reasoning_effort; neither leaves the model's own default. */
export function thoughtBudget(
  dto: Pick<ChatCompletionDto, 'reasoning_effort' | 'thinking_budget'>,
): number | undefined {
  if (dto.thinking_budget !== undefined) return dto.thinking_budget;
  return dto.reasoning_effort ? THOUGHT_BUDGETS[dto.reasoning_effort] : undefined;
}

/** The temperature when a request sets none (as the original cortex did). */
export const DEFAULT_TEMPERATURE = 0.7;

/** No max_tokens means "until the context is full"; the worker clamps to the context left. */
export function toSampling(dto: SamplingDto & { max_completion_tokens?: number }): SamplingParams {
  const stop = dto.stop === undefined ? undefined : Array.isArray(dto.stop) ? dto.stop : [dto.stop];
  const rf = dto.response_format;
  return {
    maxTokens: dto.max_completion_tokens ?? dto.max_tokens ?? Number.MAX_SAFE_INTEGER,
    // Unset means sampled, as with OpenAI (node-llama-cpp alone would decode greedily).
    temperature: dto.temperature ?? DEFAULT_TEMPERATURE,
    topP: dto.top_p,
    topK: dto.top_k,
    seed: dto.seed,
    stop: stop?.filter((s) => s.length > 0),
    presencePenalty: dto.presence_penalty,
    frequencyPenalty: dto.frequency_penalty,
    ...(rf?.type === 'json_object' ? { jsonSchema: {} } : {}),
    ...(rf?.type === 'json_schema' ? { jsonSchema: rf.json_schema!.schema } : {}),
  };
}

export function usageOf(r: GenerationResult) {
  return {
    prompt_tokens: r.promptTokens,
    completion_tokens: r.completionTokens,
    total_tokens: r.promptTokens + r.completionTokens,
    ...(r.cachedTokens !== undefined ? { prompt_tokens_details: { cached_tokens: r.cachedTokens } } : {}),
    ...(r.reasoningTokens ? { completion_tokens_details: { reasoning_tokens: r.reasoningTokens } } : {}),
  };
}

export function toolCallsOf(r: GenerationResult) {
  return (r.toolCalls ?? []).map((c, index) => ({
    index,
    id: c.id,
    type: 'function' as const,
    function: { name: c.name, arguments: c.arguments },
  }));
}

export interface ResponseIds {
  id: string;
  created: number;
  model: string;
}

export function chatCompletion(ids: ResponseIds, r: GenerationResult) {
  const calls = toolCallsOf(r).map(({ index: _i, ...c }) => c);
  return {
    id: ids.id,
    object: 'chat.completion',
    created: ids.created,
    model: ids.model,
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant',
          // Whitespace beside a tool call (the newline before it) is not content: null, as OpenAI answers.
          content: calls.length && !r.text.trim() ? null : r.text,
          ...(r.reasoning ? { reasoning_content: r.reasoning } : {}),
          ...(calls.length ? { tool_calls: calls } : {}),
        },
        finish_reason: r.finishReason,
        ...(r.matchedStop !== undefined ? { stop_reason: r.matchedStop } : {}),
      },
    ],
    usage: usageOf(r),
  };
}

export function chatChunk(ids: ResponseIds, delta: Record<string, unknown>, finish: string | null = null, extra = {}) {
  return {
    id: ids.id,
    object: 'chat.completion.chunk',
    created: ids.created,
    model: ids.model,
    choices: [{ index: 0, delta, finish_reason: finish, ...extra }],
  };
}

/**
 * One streamed event as a chat chunk, the way DeepSeek, vLLM and llama-server stream them: text as
 * `content`, thoughts as `reasoning_content`, a tool call's id and name once and then its argument
 * fragments as `tool_calls`. Null for nothing to send.
 */
export function chatDelta(ids: ResponseIds, e: GenerationEvent) {
  switch (e.kind) {
    case 'text':
      return e.text ? chatChunk(ids, { content: e.text }) : null;
    case 'thought':
      return chatChunk(ids, { reasoning_content: e.text });
    case 'call': {
      const fn = e.args ? { arguments: e.args } : { name: e.name, arguments: '' };
      const head = e.args ? {} : { id: e.id, type: 'function' };
      return chatChunk(ids, { tool_calls: [{ index: e.index, ...head, function: fn }] });
    }
  }
}

/**
 * A stream's text, held back while it is only whitespace: sent with the text that follows it, sent
 * at the end when no tool call came, and dropped beside a tool call (it is not content there).
 */
export class WhitespaceHold {
  private held = '';

  /** The text to send now (null: nothing yet). */
  text(t: string): string | null {
    const all = this.held + t;
    if (!all.trim()) {
      this.held = all;
      return null;
    }
    this.held = '';
    return all;
  }

  /** A tool call came: whitespace before it was not content. */
  call(): void {
    this.held = '';
  }

  /** At the end: what is still held, unless the answer called tools. */
  rest(calledTools: boolean): string {
    const rest = calledTools ? '' : this.held;
    this.held = '';
    return rest;
  }
}

export function usageChunk(ids: ResponseIds, r: GenerationResult, object = 'chat.completion.chunk') {
  return { id: ids.id, object, created: ids.created, model: ids.model, choices: [], usage: usageOf(r) };
}

export function textCompletion(ids: ResponseIds, r: GenerationResult) {
  return {
    id: ids.id,
    object: 'text_completion',
    created: ids.created,
    model: ids.model,
    choices: [{ index: 0, text: r.text, logprobs: null, finish_reason: r.finishReason }],
    usage: usageOf(r),
  };
}

export function textChunk(ids: ResponseIds, text: string, finish: string | null = null) {
  return {
    id: ids.id,
    object: 'text_completion',
    created: ids.created,
    model: ids.model,
    choices: [{ index: 0, text, logprobs: null, finish_reason: finish }],
  };
}

/** The gateway's session key (x-cortex-session), when it is one: a short token of safe characters. */
export function sessionKey(header: unknown): string | undefined {
  return typeof header === 'string' && /^[A-Za-z0-9_-]{1,128}$/.test(header) ? header : undefined;
}
