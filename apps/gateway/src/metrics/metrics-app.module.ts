/**
 * The small separate app on metrics_listen: PrometheusModule is registered here only (registering
 * it twice in one process throws), serving the global registry the gateway's providers write to.
 */
import { Module } from '@nestjs/common';
import { PrometheusModule } from '@willsoto/nestjs-prometheus';

@Module({ imports: [PrometheusModule.register({ path: '/metrics' })] })
export class MetricsAppModule {}
