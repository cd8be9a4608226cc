/** OpenAI API: chat completions, legacy completions and embeddings, passed through to neurons. */
import { Body, Controller, Post, Req, Res, UseFilters, UseGuards } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiKeyGuard } from '../auth/api-key.guard';
import { OpenAIProxyService } from '../proxy/openai-proxy.service';
import { OpenAIErrorFilter } from '../errors/error.filters';

@Controller('v1')
@UseGuards(ApiKeyGuard)
@UseFilters(OpenAIErrorFilter)
export class OpenAIController {
  constructor(private readonly proxy: OpenAIProxyService) {}

  @Post('chat/completions')
  chat(@Body() body: unknown, @Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    return this.proxy.handle('/v1/chat/completions', body, req, reply);
  }

  @Post('completions')
  completions(@Body() body: unknown, @Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    return this.proxy.handle('/v1/completions', body, req, reply);
  }

  @Post('embeddings')
  embeddings(@Body() body: unknown, @Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    return this.proxy.handle('/v1/embeddings', body, req, reply);
  }
}
