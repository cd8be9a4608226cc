/** Routing and cold-load placement. */
import { Module } from '@nestjs/common';
import { EvictorModule } from '../evictor/evictor.module';
import { FleetModule } from '../fleet/fleet.module';
import { UpstreamModule } from '../upstream/upstream.module';
import { ModelSizesService } from './model-sizes.service';
import { ColdLoadService } from './cold-load.service';
import { RouterService } from './router.service';

@Module({
  imports: [FleetModule, EvictorModule, UpstreamModule],
  providers: [RouterService, ColdLoadService, ModelSizesService],
  exports: [RouterService, ColdLoadService, ModelSizesService],
})
export class RouterModule {}
