/**
 * The admin API the CLI and the fleet page use: GET /admin/fleet, GET /admin/requests,
 * GET /admin/usage, GET /admin/budgets, POST /admin/models/{load,place,unload,pin,unpin} (place: a dry run of a cold
 * load). Always behind a key once keys are configured.
 */
import { Body, Controller, Get, HttpCode, Inject, Post, Query, UseFilters, UseGuards } from '@nestjs/common';
import type { CortexConfig, UsageReport } from '@app/core';
import { AdminRoute, ApiKeyGuard } from '../auth/api-key.guard';
import { fleetSummary } from '../page/fleet-view';
import { GATEWAY_CONFIG } from '../config/gateway.tokens';
import { OpenAIErrorFilter } from '../errors/error.filters';
import { RequestJournal } from '../metrics/request-journal';
import { FleetStateService } from '../fleet/fleet-state.service';
import { BudgetService } from '../budgets/budget.service';
import { UsageLedger } from '../usage/usage-ledger';
import { usageReport } from '../usage/usage-query';
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
    private readonly ledger: UsageLedger,
    private readonly budgets: BudgetService,
  ) {}

  /** Every key's and account's token budget: cap, spent, reserved by running requests, and what is left. */
  @Get('budgets')
  budgetView() {
    return this.budgets.snapshot();
  }

  /** What each account's keys used of each model per UTC day (since, until: YYYY-MM-DD, included). */
  @Get('usage')
  usage(@Query() query: Record<string, unknown>): Promise<UsageReport> {
    return usageReport(this.ledger, query);
  }

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
