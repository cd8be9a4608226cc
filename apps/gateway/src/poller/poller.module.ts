/** Polls the neurons and holds the fleet state everyone routes on. */
import { Module } from '@nestjs/common';
import { FleetGauges } from '../metrics/fleet-gauges';
import { UpstreamModule } from '../upstream/upstream.module';
import { FleetStateService } from './fleet-state.service';
import { PollerService } from './poller.service';

@Module({
  imports: [UpstreamModule],
  providers: [FleetStateService, PollerService, FleetGauges],
  exports: [FleetStateService, PollerService],
})
export class PollerModule {}
