/**
 * Body of POST /v1/chat/completions as the neuron validates it: only what it uses is checked, and
 * unknown vendor fields are tolerated (never a 400).
 */
import { Type } from 'class-transformer';
import { IsOptional, ValidateNested } from 'class-validator';
import { IntAtLeast, IsBool, IsNonEmptyString, OneOf } from '@app/core';
import {
  IsInteger,
  IsList,
  IsMessageContent,
  IsResponseFormat,
  IsStop,
  IsText,
  IsToolCalls,
  IsAbsent,
  IsFalse,
  IsOne,
  IsToolChoice,
  IsTools,
  NumberIn,
} from './validators';

export class ChatMessageDto {
  @OneOf(['system', 'developer', 'user', 'assistant', 'tool']) role!:
    'system' | 'developer' | 'user' | 'assistant' | 'tool';
  @IsMessageContent() content?: string | Array<Record<string, unknown>> | null;
  @IsOptional() @IsToolCalls() tool_calls?: Array<{ id: string; function: { name: string; arguments?: string } }>;
  @IsOptional() @IsNonEmptyString() tool_call_id?: string;
  /** An earlier answer's thought (DeepSeek/vLLM style), given back to the model as its thought. */
  @IsOptional() @IsText() reasoning_content?: string;
}

export class SamplingDto {
  @IsNonEmptyString() model!: string;
  @IsOptional() @IntAtLeast(1) max_tokens?: number;
  @IsOptional() @NumberIn(0, 2) temperature?: number;
  @IsOptional() @NumberIn(0, 1) top_p?: number;
  @IsOptional() @IntAtLeast(0) top_k?: number;
  @IsOptional() @IsInteger() seed?: number;
  @IsOptional() @IsStop() stop?: string | string[];
  @IsOptional() @NumberIn(-2, 2) presence_penalty?: number;
  @IsOptional() @NumberIn(-2, 2) frequency_penalty?: number;
  @IsOptional() @IsBool() stream?: boolean;
  @IsOptional() @IsResponseFormat() response_format?: {
    type: string;
    json_schema?: { schema: Record<string, unknown> };
  };
}

export const REASONING_EFFORTS = ['none', 'minimal', 'low', 'medium', 'high'] as const;
export type ReasoningEffort = (typeof REASONING_EFFORTS)[number];

export class ChatCompletionDto extends SamplingDto {
  @IsList() @ValidateNested({ each: true }) @Type(() => ChatMessageDto) messages!: ChatMessageDto[];
  @IsOptional() @IntAtLeast(1) max_completion_tokens?: number;
  @IsOptional() @IsTools() tools?: Array<{
    type?: 'function';
    function: { name: string; description?: string; parameters?: Record<string, unknown> };
  }>;
  @IsOptional() @IsToolChoice() tool_choice?:
    'auto' | 'none' | 'required' | { type: 'function'; function: { name: string } };
  /** How much a thinking model may think: none, minimal, low, medium or high (OpenAI's names). */
  @IsOptional() @OneOf(REASONING_EFFORTS) reasoning_effort?: ReasoningEffort;
  /** Most thought tokens, when a client gives a number (Anthropic's thinking budget_tokens). */
  @IsOptional() @IntAtLeast(0) thinking_budget?: number;
  /**
   * The last message is an assistant answer cut short (vLLM's name): the model goes on writing it,
   * and max_tokens and usage count the whole answer, the part given included.
   */
  @IsOptional() @IsBool() continue_final_message?: boolean;
  /** false: at most one tool call per turn. */
  @IsOptional() @IsBool() parallel_tool_calls?: boolean;
  /** Only 1 is served: several choices would need several sequences per request. */
  @IsOptional() @IsOne() n?: number;
  /** Not served (node-llama-cpp's sampler exposes no per-token probabilities on this path). */
  @IsOptional() @IsFalse() logprobs?: boolean;
  @IsOptional() @IsAbsent() top_logprobs?: number;
}
