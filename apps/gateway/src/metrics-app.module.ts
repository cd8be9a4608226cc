/**
 * The small separate app on metrics_listen: PrometheusModule is registered here only (registering
 * it twice in one process throws), serving the global registry the gateway's providers write to,
 * behind gateway.metrics_token when one is set; and every neuron's metrics, passed on
 * (scrape/neuron-scrape.controller.ts).
 */
import { type DynamicModule, Module } from '@nestjs/common';
import type { CortexConfig } from '@app/core';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { PrometheusModule } from '@willsoto/nestjs-prometheus';
import { OpenAIErrorFilter } from './errors/error.filters';
import { GATEWAY_CONFIG } from './config/gateway.tokens';
import { MetricsTokenGuard } from './metrics/metrics-token.guard';
import { NeuronScrapeController } from './scrape/neuron-scrape.controller';
import { NeuronClient } from './upstream/neuron-client';

@Module({})
export class MetricsAppModule {
  static forRoot(cfg: CortexConfig): DynamicModule {
    return {
      module: MetricsAppModule,
      imports: [PrometheusModule.register({ path: '/metrics' })],
      controllers: [NeuronScrapeController],
      providers: [
        { provide: GATEWAY_CONFIG, useValue: cfg },
        NeuronClient,
        { provide: APP_GUARD, useValue: new MetricsTokenGuard(cfg.gateway.metrics_token) },
        { provide: APP_FILTER, useClass: OpenAIErrorFilter },
      ],
    };
  }
}
