/** Makes the gateway's metric providers injectable everywhere (registered once, global registry). */
import { Global, Module } from '@nestjs/common';
import { gatewayMetricProviders } from './gateway-metrics';

@Global()
@Module({ providers: gatewayMetricProviders, exports: gatewayMetricProviders })
export class GatewayMetricsModule {}
