/**
 * The OpenAI-dialect inference routes: /v1/chat/completions and /v1/completions (JSON or SSE),
 * /v1/embeddings, /v1/tokenize (counts through the chat template, for Anthropic count_tokens) and
 * /v1/models. Thin: request mapping here, the work in InferenceService.
 */
import { randomBytes } from 'node:crypto';
import {
  Body,
  Controller,
  Get,
  Headers,
  HttpCode,
  Inject,
  Logger,
  Post,
  Res,
  UseFilters,
  UsePipes,
} from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import {
  type GenerationEvent,
  type GenerationResult,
  type NeuronConfig,
  SseStream,
  type TokenizeResponse,
  invalidField,
  logFields,
  principalOf,
  sseLimits,
} from '@app/core';
import { OpenAIErrorFilter } from './openai-error.filter';
import { toCortexError } from '../errors/to-cortex-error';
import { openAIValidationPipe } from './validation.pipe';
import { ModelRegistryService } from '../models/model-registry.service';
import { NEURON_CONFIG } from '../config/neuron.tokens';
import { ChatCompletionDto } from '../inference/dto/chat-completion.dto';
import { CompletionDto, EmbeddingsDto, TokenizeDto } from '../inference/dto/other.dto';
import { type GenerateRequest, InferenceService } from '../inference/inference.service';
import * as map from '../inference/openai-mapping';

/** Aborts when the client goes away before the response is complete. */
function disconnectSignal(reply: FastifyReply): AbortSignal {
  const ac = new AbortController();
  reply.raw.on('close', () => {
    if (!reply.raw.writableFinished) ac.abort();
  });
  return ac.signal;
}

const ids = (prefix: string, model: string): map.ResponseIds => ({
  id: `${prefix}-${randomBytes(12).toString('hex')}`,
  created: Math.floor(Date.now() / 1000),
  model,
});

@Controller('v1')
@UseFilters(OpenAIErrorFilter)
@UsePipes(openAIValidationPipe)
export class InferenceController {
  private readonly log = new Logger('Inference');

  constructor(
    @Inject(NEURON_CONFIG) private readonly cfg: NeuronConfig,
    private readonly inference: InferenceService,
    private readonly registry: ModelRegistryService,
  ) {}

  @Get('models')
  models() {
    const data = this.registry
      .list()
      .filter((r) => r.status === 'loaded')
      .map((r) => ({ id: r.id, object: 'model', created: Math.floor((r.loadedAt ?? 0) / 1000), owned_by: 'cortex' }));
    return { object: 'list', data };
  }

  @Post('chat/completions')
  async chat(
    @Body() dto: ChatCompletionDto,
    @Headers('x-cortex-fault') fault: string,
    @Headers('x-cortex-session') session: string,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const req: GenerateRequest = {
      modelId: dto.model,
      mode: 'chat',
      session: map.sessionKey(session),
      messages: map.toWorkerMessages(dto.messages, dto.continue_final_message === true),
      ...map.toWorkerTools(dto),
      params: { ...map.toSampling(dto), thoughtTokens: map.thoughtBudget(dto) },
    };
    const rid = ids('chatcmpl', dto.model);
    if (!dto.stream) {
      const result = await this.generate(reply, req, {}, this.inference.fault(fault));
      await reply.status(200).send(map.chatCompletion(rid, result));
      return;
    }
    let streamedCalls = false;
    const hold = new map.WhitespaceHold();
    await this.stream(reply, req, this.inference.fault(fault), {
      start: () => map.chatChunk(rid, { role: 'assistant', content: '' }),
      event: (e) => {
        if (e.kind === 'call') {
          streamedCalls = true;
          hold.call();
        } else if (e.kind === 'text') {
          const text = hold.text(e.text);
          return text ? map.chatChunk(rid, { content: text }) : null;
        }
        return map.chatDelta(rid, e);
      },
      finish: (r) => [
        ...[hold.rest(!!r.toolCalls?.length)].filter(Boolean).map((content) => map.chatChunk(rid, { content })),
        // Tool calls streamed as they were generated are not sent again whole.
        ...(r.toolCalls?.length && !streamedCalls ? [map.chatChunk(rid, { tool_calls: map.toolCallsOf(r) })] : []),
        map.chatChunk(rid, {}, r.finishReason, r.matchedStop !== undefined ? { stop_reason: r.matchedStop } : {}),
        map.usageChunk(rid, r),
      ],
    });
  }

  @Post('completions')
  async completions(
    @Body() dto: CompletionDto,
    @Headers('x-cortex-fault') fault: string,
    @Headers('x-cortex-session') session: string,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const prompt = Array.isArray(dto.prompt) ? dto.prompt.join('') : dto.prompt;
    const req: GenerateRequest = {
      modelId: dto.model,
      mode: 'completion',
      prompt,
      session: map.sessionKey(session),
      params: map.toSampling(dto),
    };
    const rid = ids('cmpl', dto.model);
    if (!dto.stream) {
      const result = await this.generate(reply, req, {}, this.inference.fault(fault));
      await reply.status(200).send(map.textCompletion(rid, result));
      return;
    }
    await this.stream(reply, req, this.inference.fault(fault), {
      event: (e) => (e.kind === 'text' && e.text ? map.textChunk(rid, e.text) : null),
      finish: (r) => [map.textChunk(rid, '', r.finishReason), map.usageChunk(rid, r, 'text_completion')],
    });
  }

  private async stream(
    reply: FastifyReply,
    req: GenerateRequest,
    fault: ReturnType<InferenceService['fault']>,
    frames: { start?(): unknown; event(e: GenerationEvent): unknown; finish(r: GenerationResult): unknown[] },
  ): Promise<void> {
    // The stream starts as soon as the request must queue, so pings keep the client (and any proxy)
    // waiting. Frames are written as the worker sends them (it cannot be paused mid-token); a client
    // that stops reading is dropped after stall_timeout_s, which aborts its generation.
    let sse: SseStream | undefined;
    const start = () =>
      (sse ??= new SseStream(reply, {
        ...sseLimits(this.cfg.limits),
        onDrop: (why) => this.log.warn(`dropped a ${req.modelId} stream whose client ${why.replace(/_/g, ' ')}`),
      }));
    try {
      const result = await this.generate(
        reply,
        req,
        {
          onQueued: start,
          onAdmitted: () => {
            start();
            if (frames.start) void sse!.data(frames.start());
          },
          onEvent: (e) => {
            const frame = frames.event(e);
            if (frame) void sse?.data(frame);
          },
        },
        fault,
      );
      frames.finish(result).forEach((f) => void sse!.data(f));
      sse!.end('data: [DONE]\n\n');
    } catch (err) {
      if (!sse) throw err; // not started: the filter answers with a status code
      sse.end(`data: ${JSON.stringify(toCortexError(err).toOpenAI())}\n\n`);
    }
  }

  /** A generation, with its model, device, tokens, queue wait and TTFT added to the request's log line. */
  private async generate(
    reply: FastifyReply,
    req: GenerateRequest,
    hooks: Parameters<InferenceService['generate']>[2],
    fault: ReturnType<InferenceService['fault']>,
  ): Promise<GenerationResult> {
    const arrived = performance.now();
    const admitted = hooks?.onAdmitted;
    const log = (fields: Record<string, unknown>) => logFields(reply.request, fields);
    log({ model: req.modelId, mode: req.mode, ...(req.session ? { session: req.session } : {}) });
    const result = await this.inference.generate(
      req,
      disconnectSignal(reply),
      {
        ...hooks,
        principal: this.principal(reply),
        onAdmitted: () => {
          log({ queue_ms: Math.round(performance.now() - arrived) });
          admitted?.();
        },
      },
      fault,
    );
    log({
      device: this.registry.get(req.modelId)?.deviceId ?? null,
      prompt_tokens: result.promptTokens,
      cached_tokens: result.cachedTokens ?? 0,
      completion_tokens: result.completionTokens,
      ttft_ms: Math.round(result.ttftMs),
      finish_reason: result.finishReason,
    });
    return result;
  }

  /** Who the gateway says a request is for; believed only with a token (only a gateway holding it can say). */
  private principal(reply: FastifyReply) {
    return principalOf(reply.request.headers, this.cfg.token !== undefined);
  }

  @Post('embeddings')
  @HttpCode(200)
  async embeddings(@Body() dto: EmbeddingsDto, @Res({ passthrough: true }) reply: FastifyReply) {
    const inputs = Array.isArray(dto.input) ? dto.input : [dto.input];
    const out = await this.inference.run(
      dto.model,
      disconnectSignal(reply),
      true,
      (record, sup) => sup.embed(record.id, inputs),
      this.principal(reply),
    );
    return {
      object: 'list',
      data: out.vectors.map((embedding, index) => ({ object: 'embedding', index, embedding })),
      model: dto.model,
      usage: { prompt_tokens: out.tokens, total_tokens: out.tokens },
    };
  }

  @Post('tokenize')
  @HttpCode(200)
  async tokenize(@Body() dto: TokenizeDto, @Res({ passthrough: true }) reply: FastifyReply): Promise<TokenizeResponse> {
    const text = dto.text === undefined ? undefined : Array.isArray(dto.text) ? dto.text.join('') : dto.text;
    if (text === undefined && !dto.messages)
      throw invalidField('messages', 'messages: expected messages or text to count, got neither');
    const tools = dto.tools?.map((t) => ({
      name: t.function.name,
      description: t.function.description,
      parameters: t.function.parameters,
    }));
    const messages = dto.messages ? map.toWorkerMessages(dto.messages, dto.continue_final_message === true) : undefined;
    const out = await this.inference.run(dto.model, disconnectSignal(reply), false, (record, sup) =>
      sup.tokenize({ type: 'tokenize', modelId: record.id, text, messages, tools, withPrompt: dto.with_prompt }),
    );
    return { model: dto.model, count: out.count, ...(out.prompt !== undefined ? { prompt: out.prompt } : {}) };
  }
}
