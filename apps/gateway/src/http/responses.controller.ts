/** OpenAI Responses API (Codex CLI, the Agents SDK): create, and the stored responses' get, input items and delete. */
import { Body, Controller, Delete, Get, Param, Post, Req, Res, UseFilters, UseGuards } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiKeyGuard } from '../auth/api-key.guard';
import { callerOf } from '../auth/caller';
import { OpenAIErrorFilter } from '../errors/error.filters';
import { ProxyPipeline } from '../proxy/proxy-pipeline.service';
import { ResponsesAdapter } from '../proxy/responses.adapter';
import { StoredResponses } from '../responses/stored-responses.service';
import { fastifyClient } from './fastify-client';

@Controller('v1/responses')
@UseGuards(ApiKeyGuard)
@UseFilters(OpenAIErrorFilter)
export class ResponsesController {
  constructor(
    private readonly pipeline: ProxyPipeline,
    private readonly responses: ResponsesAdapter,
    private readonly stored: StoredResponses,
  ) {}

  @Post()
  async create(@Body() body: unknown, @Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    return this.pipeline.run(await this.responses.create(body, callerOf(req)), fastifyClient(req, reply));
  }

  @Get(':id')
  get(@Param('id') id: string, @Req() req: FastifyRequest) {
    return this.stored.get(id, callerOf(req));
  }

  @Get(':id/input_items')
  inputItems(@Param('id') id: string, @Req() req: FastifyRequest) {
    return this.stored.inputItems(id, callerOf(req));
  }

  @Delete(':id')
  delete(@Param('id') id: string, @Req() req: FastifyRequest) {
    return this.stored.delete(id, callerOf(req));
  }
}
