/** Unloads models: on demand for cold loads, in the background for idle ones. */
import { Module } from '@nestjs/common';
import { FleetModule } from '../fleet/fleet.module';
import { UpstreamModule } from '../upstream/upstream.module';
import { EvictorService } from './evictor.service';

@Module({ imports: [FleetModule, UpstreamModule], providers: [EvictorService], exports: [EvictorService] })
export class EvictorModule {}
