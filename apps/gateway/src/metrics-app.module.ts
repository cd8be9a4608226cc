/**
 * The small separate app on metrics_listen: PrometheusModule is registered here only (registering
 * it twice in one process throws), serving the global registry the gateway's providers write to,
 * behind gateway.metrics_token when one is set.
 */
import { type DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { PrometheusModule } from '@willsoto/nestjs-prometheus';
import { OpenAIErrorFilter } from './errors/error.filters';
import { MetricsTokenGuard } from './metrics/metrics-token.guard';

@Module({})
export class MetricsAppModule {
  static forRoot(token: string | undefined): DynamicModule {
    return {
      module: MetricsAppModule,
      imports: [PrometheusModule.register({ path: '/metrics' })],
      providers: [
        { provide: APP_GUARD, useValue: new MetricsTokenGuard(token) },
        { provide: APP_FILTER, useClass: OpenAIErrorFilter },
      ],
    };
  }
}
