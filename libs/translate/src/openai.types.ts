/**
 * The slice of the OpenAI Chat Completions wire format cortex produces and consumes. Defined here
 * (not imported from the `openai` package) so libs/translate has no runtime dependencies.
 */
export type OpenAIContentPart =
  { type: 'text'; text: string } | { type: 'image_url'; image_url: { url: string; detail?: string } };

export interface OpenAIToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

export type OpenAIMessage =
  | { role: 'system'; content: string }
  | { role: 'user'; content: string | OpenAIContentPart[] }
  | { role: 'assistant'; content: string | null; tool_calls?: OpenAIToolCall[]; reasoning_content?: string }
  | { role: 'tool'; tool_call_id: string; content: string };

export interface OpenAITool {
  type: 'function';
  function: { name: string; description?: string; parameters: Record<string, unknown> };
}

export type OpenAIToolChoice = 'auto' | 'none' | 'required' | { type: 'function'; function: { name: string } };

export interface OpenAIChatRequest {
  /** cortex extension: most thought tokens (from Anthropic's thinking budget_tokens). */
  thinking_budget?: number;
  model: string;
  messages: OpenAIMessage[];
  max_tokens?: number;
  temperature?: number;
  top_p?: number;
  top_k?: number;
  stop?: string[];
  stream?: boolean;
  stream_options?: { include_usage: boolean };
  tools?: OpenAITool[];
  tool_choice?: OpenAIToolChoice;
  parallel_tool_calls?: boolean;
  user?: string;
  response_format?: { type: 'json_object' } | { type: 'json_schema'; json_schema: Record<string, unknown> };
  reasoning_effort?: 'none' | 'minimal' | 'low' | 'medium' | 'high';
  seed?: number;
  /** Clients' cache/session key (Codex sends it); neurons may use it to keep a session's KV cache. */
  prompt_cache_key?: string;
}

export interface OpenAIUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens?: number;
  prompt_tokens_details?: { cached_tokens?: number };
  completion_tokens_details?: { reasoning_tokens?: number };
}

export type OpenAIFinishReason = 'stop' | 'length' | 'tool_calls' | 'content_filter' | 'function_call' | null;

export interface OpenAIChatChoice {
  index: number;
  message: { role: 'assistant'; content: string | null; tool_calls?: OpenAIToolCall[]; reasoning_content?: string };
  finish_reason: OpenAIFinishReason;
  /** vLLM/cortex extension: the stop string that ended generation, when one did. */
  stop_reason?: string | number | null;
}

export interface OpenAIChatCompletion {
  id: string;
  object: 'chat.completion';
  created: number;
  model: string;
  choices: OpenAIChatChoice[];
  usage?: OpenAIUsage;
}

export interface OpenAIToolCallDelta {
  index: number;
  id?: string;
  type?: 'function';
  function?: { name?: string; arguments?: string };
}

export interface OpenAIChunkChoice {
  index: number;
  delta: { role?: string; content?: string | null; tool_calls?: OpenAIToolCallDelta[]; reasoning_content?: string };
  finish_reason: OpenAIFinishReason;
  stop_reason?: string | number | null;
}

export interface OpenAIChatChunk {
  id: string;
  object: 'chat.completion.chunk';
  created: number;
  model: string;
  choices: OpenAIChunkChoice[];
  usage?: OpenAIUsage | null;
}

export type { OpenAIErrorBody } from '@app/core/errors';
