/** OpenAI Responses API (Codex CLI, the Agents SDK): create, and the stored responses' get, input items and delete. */
import { Body, Controller, Delete, Get, Param, Post, Req, Res, UseFilters, UseGuards } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiKeyGuard } from '../auth/api-key.guard';
import { ResponsesProxyService } from '../proxy/responses-proxy.service';
import { OpenAIErrorFilter } from '../errors/error.filters';

@Controller('v1/responses')
@UseGuards(ApiKeyGuard)
@UseFilters(OpenAIErrorFilter)
export class ResponsesController {
  constructor(private readonly proxy: ResponsesProxyService) {}

  @Post()
  create(@Body() body: unknown, @Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    return this.proxy.create(body, req, reply);
  }

  @Get(':id')
  get(@Param('id') id: string, @Req() req: FastifyRequest) {
    return this.proxy.get(id, req.headers);
  }

  @Get(':id/input_items')
  inputItems(@Param('id') id: string, @Req() req: FastifyRequest) {
    return this.proxy.inputItems(id, req.headers);
  }

  @Delete(':id')
  delete(@Param('id') id: string, @Req() req: FastifyRequest) {
    return this.proxy.delete(id, req.headers);
  }
}
