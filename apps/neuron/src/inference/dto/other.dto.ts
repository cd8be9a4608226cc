/** Bodies of /v1/completions, /v1/embeddings, /v1/tokenize and the lifecycle routes. */
import { Type } from 'class-transformer';
import { ArrayMaxSize, IsOptional, ValidateNested } from 'class-validator';
import {
  type EstimateRequest,
  IntAtLeast,
  IsBool,
  IsModelSource,
  IsNonEmptyString,
  IsStringList,
  type LoadModelRequest,
  type PinModelRequest,
  type TokenizeRequest,
  type UnloadModelRequest,
} from '@app/core';
import { ChatMessageDto, SamplingDto } from './chat-completion.dto';
import { IsEmbeddingInput, IsList, IsTools } from './validators';

export class CompletionDto extends SamplingDto {
  @IsEmbeddingInput() prompt!: string | string[];
}

export class EmbeddingsDto {
  @IsNonEmptyString() model!: string;
  @IsEmbeddingInput() input!: string | string[];
}

export class TokenizeDto implements TokenizeRequest {
  @IsNonEmptyString() model!: string;
  @IsOptional() @IsList() @ValidateNested({ each: true }) @Type(() => ChatMessageDto) messages?: ChatMessageDto[];
  @IsOptional() @IsEmbeddingInput() text?: string;
  @IsOptional() @IsTools() tools?: Array<{
    function: { name: string; description?: string; parameters?: Record<string, unknown> };
  }>;
  /** Also answer the rendered prompt (what the chat template makes of the messages and tools). */
  @IsOptional() @IsBool() with_prompt?: boolean;
  /** Count the prompt as a chat request with continue_final_message sees it. */
  @IsOptional() @IsBool() continue_final_message?: boolean;
}

export class LoadModelDto implements LoadModelRequest {
  @IsNonEmptyString() id!: string;
  @IsModelSource() source!: string;
  @IsOptional() @IntAtLeast(16) context_size?: number;
  @IsOptional() @IntAtLeast(16) min_context?: number;
  @IsOptional() @IntAtLeast(1) max_in_flight?: number;
  @IsOptional() @IsNonEmptyString() device?: string;
  /** A device group: one worker owning this many free devices (or exactly `devices`). */
  @IsOptional() @IntAtLeast(1) min_devices?: number;
  @IsOptional() @IsStringList() @ArrayMaxSize(64) devices?: string[];
  /** false: answer 202 at once and report progress in GET /models. */
  @IsOptional() @IsBool() wait?: boolean;
}

export class EstimateModelDto implements EstimateRequest {
  @IsModelSource() source!: string;
  @IsOptional() @IntAtLeast(16) context_size?: number;
  @IsOptional() @IntAtLeast(16) min_context?: number;
  @IsOptional() @IntAtLeast(1) max_in_flight?: number;
  @IsOptional() @IsNonEmptyString() device?: string;
}

export class UnloadModelDto implements UnloadModelRequest {
  @IsNonEmptyString() id!: string;
  @IsOptional() @IsBool() force?: boolean;
  @IsOptional() @IsBool() drain?: boolean;
}

export class PinModelDto implements PinModelRequest {
  @IsNonEmptyString() id!: string;
  @IsOptional() @IsBool() pinned?: boolean;
}
