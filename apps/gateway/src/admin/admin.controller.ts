/**
 * The admin API the CLI and the fleet page use: GET /admin/fleet, GET /admin/requests,
 * POST /admin/models/{load,place,unload,pin,unpin} (place: a dry run of a cold load). Always
 * behind a key once keys are configured.
 */
import { Body, Controller, Get, HttpCode, Inject, Post, UseFilters, UseGuards } from '@nestjs/common';
import type { CortexConfig } from '@app/core';
import { AdminRoute, ApiKeyGuard } from '../auth/api-key.guard';
import { fleetSummary } from '../page/fleet-view';
import { GATEWAY_CONFIG } from '../config/gateway.tokens';
import { OpenAIErrorFilter } from '../errors/error.filters';
import { RequestJournal } from '../metrics/request-journal';
import { FleetStateService } from '../fleet/fleet-state.service';
import { AdminService } from './admin.service';

@Controller('admin')
@AdminRoute()
@UseGuards(ApiKeyGuard)
@UseFilters(OpenAIErrorFilter)
export class AdminController {
  constructor(
    @Inject(GATEWAY_CONFIG) private readonly cfg: CortexConfig,
    private readonly fleet: FleetStateService,
    private readonly admin: AdminService,
    private readonly journal: RequestJournal,
  ) {}

  /** The last requests' log lines and fleet events (evictions), for the fleet page. */
  @Get('requests')
  requests() {
    return this.journal.view();
  }

  @Get('fleet')
  fleetView() {
    return fleetSummary(this.fleet.all(), this.cfg);
  }

  @Post('models/load')
  @HttpCode(200)
  load(@Body() body: unknown) {
    return this.admin.load(body);
  }

  @Post('models/place')
  @HttpCode(200)
  place(@Body() body: unknown) {
    return this.admin.place(body);
  }

  @Post('models/unload')
  @HttpCode(200)
  unload(@Body() body: unknown) {
    return this.admin.unload(body);
  }

  @Post('models/pin')
  @HttpCode(200)
  pin(@Body() body: unknown) {
    return this.admin.pin(body, true);
  }

  @Post('models/unpin')
  @HttpCode(200)
  unpin(@Body() body: unknown) {
    return this.admin.pin(body, false);
  }
}
