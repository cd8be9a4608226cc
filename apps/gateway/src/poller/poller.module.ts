/** Polls the neurons and holds the fleet state everyone routes on. */
import { Module } from '@nestjs/common';
import { UpstreamModule } from '../upstream/upstream.module';
import { FleetStateService } from './fleet-state.service';
import { PollerService } from './poller.service';

@Module({
  imports: [UpstreamModule],
  providers: [FleetStateService, PollerService],
  exports: [FleetStateService, PollerService],
})
export class PollerModule {}
