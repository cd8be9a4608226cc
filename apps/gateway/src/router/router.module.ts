/** Routing and cold-load placement. */
import { Module } from '@nestjs/common';
import { EvictorModule } from '../evictor/evictor.module';
import { PollerModule } from '../poller/poller.module';
import { UpstreamModule } from '../upstream/upstream.module';
import { ModelSizesService } from './model-sizes.service';
import { RouterService } from './router.service';

@Module({
  imports: [PollerModule, EvictorModule, UpstreamModule],
  providers: [RouterService, ModelSizesService],
  exports: [RouterService, ModelSizesService],
})
export class RouterModule {}
