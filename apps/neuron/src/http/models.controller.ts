/** The model lifecycle API: GET /models, POST /models/load, /models/unload, /models/pin and /models/estimate. */
import { Body, Controller, Get, HttpCode, Post, Res, UseFilters, UsePipes } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import type { EstimateResponse, NeuronModelList, UnloadModelResponse } from '@app/core';
import { OpenAIErrorFilter } from './openai-error.filter';
import { openAIValidationPipe } from './validation.pipe';
import { InferenceService } from '../inference/inference.service';
import { EstimateModelDto, LoadModelDto, PinModelDto, UnloadModelDto } from '../inference/dto/other.dto';
import { describeModel } from '../models/model-record';
import { ModelRegistryService } from '../models/model-registry.service';

@Controller('models')
@UseFilters(OpenAIErrorFilter)
@UsePipes(openAIValidationPipe)
export class ModelsController {
  constructor(
    private readonly registry: ModelRegistryService,
    private readonly inference: InferenceService,
  ) {}

  @Get()
  list(): NeuronModelList {
    return { object: 'list', data: this.registry.list().map((r) => describeModel(r, this.registry.servable(r))) };
  }

  @Post('load')
  async load(@Body() dto: LoadModelDto, @Res() reply: FastifyReply): Promise<void> {
    const job = this.registry.load(dto);
    if (dto.wait === false) {
      job.catch(() => undefined);
      await reply.status(202).send(describeModel(this.registry.get(dto.id)!));
      return;
    }
    const loaded = await job;
    await reply.status(200).send(describeModel(loaded, this.registry.servable(loaded)));
  }

  @Post('estimate')
  @HttpCode(200)
  estimate(@Body() dto: EstimateModelDto): Promise<EstimateResponse> {
    return this.registry.estimate(dto);
  }

  @Post('pin')
  @HttpCode(200)
  pin(@Body() dto: PinModelDto) {
    const pinned = this.registry.pin(dto.id, dto.pinned ?? true);
    return describeModel(pinned, this.registry.servable(pinned));
  }

  @Post('unload')
  @HttpCode(200)
  async unload(@Body() dto: UnloadModelDto) {
    const status = await this.registry.unload(dto.id, { ...dto, abortAll: (id) => this.inference.abortAll(id) });
    return { id: dto.id, status } satisfies UnloadModelResponse;
  }
}
