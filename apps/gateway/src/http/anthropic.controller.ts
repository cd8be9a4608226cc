/**
 * Anthropic API: /v1/messages (JSON or SSE) and /v1/messages/count_tokens. Query strings such as
 * Claude Code's `?beta=true`, and anthropic-beta/anthropic-version headers, never cause a 4xx.
 */
import { Body, Controller, HttpCode, Post, Req, Res, UseFilters, UseGuards } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiKeyGuard } from '../auth/api-key.guard';
import { AnthropicProxyService } from '../proxy/anthropic-proxy.service';
import { AnthropicErrorFilter } from '../errors/error.filters';

@Controller('v1/messages')
@UseGuards(ApiKeyGuard)
@UseFilters(AnthropicErrorFilter)
export class AnthropicController {
  constructor(private readonly proxy: AnthropicProxyService) {}

  @Post()
  messages(@Body() body: unknown, @Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    return this.proxy.messages(body, req, reply);
  }

  @Post('count_tokens')
  @HttpCode(200)
  countTokens(@Body() body: unknown, @Res({ passthrough: true }) reply: FastifyReply) {
    return this.proxy.countTokens(body, reply);
  }
}
