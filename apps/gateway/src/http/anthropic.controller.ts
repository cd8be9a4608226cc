/**
 * Anthropic API: /v1/messages (JSON or SSE) and /v1/messages/count_tokens. Query strings such as
 * Claude Code's `?beta=true`, and anthropic-beta/anthropic-version headers, never cause a 4xx.
 */
import { Body, Controller, HttpCode, Post, Req, Res, UseFilters, UseGuards } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiKeyGuard } from '../auth/api-key.guard';
import { AnthropicErrorFilter } from '../errors/error.filters';
import { AnthropicAdapter } from '../proxy/anthropic.adapter';
import { CountTokensService } from '../proxy/count-tokens.service';
import { ProxyPipeline } from '../proxy/proxy-pipeline.service';
import { fastifyClient } from './fastify-client';

@Controller('v1/messages')
@UseGuards(ApiKeyGuard)
@UseFilters(AnthropicErrorFilter)
export class AnthropicController {
  constructor(
    private readonly pipeline: ProxyPipeline,
    private readonly anthropic: AnthropicAdapter,
    private readonly tokens: CountTokensService,
  ) {}

  @Post()
  messages(@Body() body: unknown, @Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    return this.pipeline.run(this.anthropic.messages(body), fastifyClient(req, reply));
  }

  @Post('count_tokens')
  @HttpCode(200)
  countTokens(@Body() body: unknown, @Req() req: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    return this.tokens.count(body, fastifyClient(req, reply));
  }
}
