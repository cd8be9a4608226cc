/**
 * GET /v1/models: the merged catalogue with loaded state, locations, feasibility, aliases, and what
 * clients pick by (capabilities, tool_call, reasoning, limit, modalities); Anthropic's shape when the
 * caller sends `anthropic-version`.
 */
import { Controller, Get, Headers, Inject, UseFilters, UseGuards } from '@nestjs/common';
import { anthropicModelList } from '@app/translate';
import { ApiKeyGuard } from '../auth/api-key.guard';
import { Catalogue } from '../config/catalogue';
import { EvictorService } from '../evictor/evictor.service';
import { modelList } from '../page/fleet-view';
import { CATALOGUE } from '../config/gateway.tokens';
import { FleetStateService } from '../fleet/fleet-state.service';
import { ModelSizesService } from '../router/model-sizes.service';
import { OpenAIErrorFilter } from '../errors/error.filters';

@Controller('v1/models')
@UseGuards(ApiKeyGuard)
@UseFilters(OpenAIErrorFilter)
export class ModelsController {
  constructor(
    private readonly fleet: FleetStateService,
    @Inject(CATALOGUE) private readonly catalogue: Catalogue,
    private readonly evictor: EvictorService,
    private readonly sizes: ModelSizesService,
  ) {}

  /** OpenAI's list (with cortex's fields); Anthropic's shape for callers that send `anthropic-version`. */
  @Get()
  list(@Headers('anthropic-version') anthropic?: string) {
    const list = modelList(
      this.fleet.all(),
      this.catalogue,
      this.evictor.context(),
      (id) => this.sizes.shown(id),
      Date.now(),
      (id) => this.sizes.foreseenContext(id),
    );
    return anthropic ? anthropicModelList(list.data) : list;
  }
}
