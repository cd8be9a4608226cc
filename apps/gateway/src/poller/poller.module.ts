/** Polls the neurons into the fleet state everyone routes on. */
import { Module } from '@nestjs/common';
import { FleetModule } from '../fleet/fleet.module';
import { UpstreamModule } from '../upstream/upstream.module';
import { PollerService } from './poller.service';

@Module({ imports: [FleetModule, UpstreamModule], providers: [PollerService], exports: [PollerService] })
export class PollerModule {}
