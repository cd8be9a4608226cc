/**
 * Chat completion → Responses `response` object: the thought becomes a reasoning item (its text as
 * the summary), the text a message item, each tool call a function_call item under the client's own
 * (namespaced) name. The streaming translator builds the same items, so a streamed response
 * finalises to what the non-streamed one returns.
 */
import { isObject } from '../check';
import { TranslationError } from '../errors';
import type { OpenAIChatCompletion, OpenAIFinishReason, OpenAIUsage } from '../openai.types';
import type { ResponseEcho } from './responses-request';
import type {
  FunctionCallItem,
  MessageItem,
  OutputItem,
  ReasoningItem,
  ResponseObject,
  ResponseUsage,
} from './responses.types';
import { sealThought } from './responses-input';
import type { ToolNames } from './responses-tools';

/** What the gateway knows about a response before the model answers. */
export interface ResponseContext {
  id: string;
  createdAt: number;
  model: string;
  echo: ResponseEcho;
  names: ToolNames;
  sealReasoning: boolean;
}

/** A call id for a tool call the upstream sent without one. */
export function fallbackCallId(responseId: string, n: number): string {
  return `call_${responseId.replace(/^resp_/, '')}_${n}`;
}

/** Item ids derive from the response id and the item's place in the output, so they are unique and stable. */
export function itemId(responseId: string, prefix: 'msg' | 'fc' | 'rs', outputIndex: number): string {
  return `${prefix}_${responseId.replace(/^resp_/, '')}_${outputIndex}`;
}

export function responseUsage(u: OpenAIUsage | null | undefined): ResponseUsage {
  const input = u?.prompt_tokens ?? 0;
  const output = u?.completion_tokens ?? 0;
  return {
    input_tokens: input,
    input_tokens_details: { cached_tokens: u?.prompt_tokens_details?.cached_tokens ?? 0 },
    output_tokens: output,
    output_tokens_details: { reasoning_tokens: u?.completion_tokens_details?.reasoning_tokens ?? 0 },
    total_tokens: input + output,
  };
}

/** The response before any output: status in_progress. */
export function responseSkeleton(ctx: ResponseContext): ResponseObject {
  return {
    id: ctx.id,
    object: 'response',
    created_at: ctx.createdAt,
    status: 'in_progress',
    error: null,
    incomplete_details: null,
    model: ctx.model,
    output: [],
    usage: null,
    ...ctx.echo,
  };
}

/** Status and incomplete_details for how the model stopped. */
export function ending(finish: OpenAIFinishReason | undefined): Pick<ResponseObject, 'status' | 'incomplete_details'> {
  if (finish === 'length') return { status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' } };
  if (finish === 'content_filter') return { status: 'incomplete', incomplete_details: { reason: 'content_filter' } };
  return { status: 'completed', incomplete_details: null };
}

export function reasoningItem(ctx: ResponseContext, index: number, thought: string): ReasoningItem {
  const item: ReasoningItem = { id: itemId(ctx.id, 'rs', index), type: 'reasoning', status: 'completed', summary: [] };
  if (thought) item.summary.push({ type: 'summary_text', text: thought });
  if (ctx.sealReasoning) item.encrypted_content = sealThought(thought);
  return item;
}

export function messageItem(ctx: ResponseContext, index: number, text: string, done = true): MessageItem {
  return {
    id: itemId(ctx.id, 'msg', index),
    type: 'message',
    role: 'assistant',
    status: done ? 'completed' : 'in_progress',
    content: done ? [{ type: 'output_text', text, annotations: [] }] : [],
  };
}

export function callItem(
  ctx: ResponseContext,
  index: number,
  callId: string,
  chatName: string,
  args: string,
  done = true,
): FunctionCallItem {
  const { name, namespace } = ctx.names.toClient(chatName);
  return {
    id: itemId(ctx.id, 'fc', index),
    type: 'function_call',
    status: done ? 'completed' : 'in_progress',
    call_id: callId,
    name,
    ...(namespace ? { namespace } : {}),
    arguments: args,
  };
}

export function openAIToResponse(completion: OpenAIChatCompletion, ctx: ResponseContext): ResponseObject {
  if (!isObject(completion) || !Array.isArray(completion.choices) || completion.choices.length === 0) {
    throw new TranslationError('upstream', 'upstream returned a malformed chat completion', null, 'upstream_error');
  }
  const choice = completion.choices[0]!;
  const output: OutputItem[] = [];
  const thought = choice.message?.reasoning_content;
  if (typeof thought === 'string' && thought) output.push(reasoningItem(ctx, output.length, thought));
  const text = typeof choice.message?.content === 'string' ? choice.message.content : '';
  const calls = choice.message?.tool_calls ?? [];
  // Whitespace beside tool calls (the newline before a call) is not an answer.
  if (text.trim() || !calls.length) output.push(messageItem(ctx, output.length, text));
  calls.forEach((c, i) => {
    output.push(
      callItem(
        ctx,
        output.length,
        c.id || fallbackCallId(ctx.id, i),
        c.function?.name ?? '',
        c.function?.arguments ?? '',
      ),
    );
  });
  const end = ending(choice.finish_reason);
  if (end.status === 'incomplete' && output.length) output[output.length - 1]!.status = 'incomplete';
  return { ...responseSkeleton(ctx), ...end, output, usage: responseUsage(completion.usage) };
}
