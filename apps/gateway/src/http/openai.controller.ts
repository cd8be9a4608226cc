/** OpenAI API: chat completions, legacy completions and embeddings, passed through to neurons. */
import { Body, Controller, Post, Req, Res, UseFilters, UseGuards } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { rawJsonOf } from '@app/core';
import { ApiKeyGuard } from '../auth/api-key.guard';
import { OpenAIErrorFilter } from '../errors/error.filters';
import { type OpenAIPath, openAIExchange } from '../proxy/openai.adapter';
import { ProxyPipeline } from '../proxy/proxy-pipeline.service';
import { fastifyClient } from './fastify-client';

@Controller('v1')
@UseGuards(ApiKeyGuard)
@UseFilters(OpenAIErrorFilter)
export class OpenAIController {
  constructor(private readonly pipeline: ProxyPipeline) {}

  @Post('chat/completions')
  chat(@Body() body: unknown, @Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    return this.run('/v1/chat/completions', body, req, reply);
  }

  @Post('completions')
  completions(@Body() body: unknown, @Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    return this.run('/v1/completions', body, req, reply);
  }

  @Post('embeddings')
  embeddings(@Body() body: unknown, @Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    return this.run('/v1/embeddings', body, req, reply);
  }

  private run(path: OpenAIPath, body: unknown, req: FastifyRequest, reply: FastifyReply): Promise<void> {
    return this.pipeline.run(openAIExchange(path, body, rawJsonOf(req)), fastifyClient(req, reply));
  }
}
