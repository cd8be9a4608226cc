/**
 * Composition root of the neuron process: config, device workers, model lifecycle, inference,
 * health and Prometheus metrics (on the neuron's own port, /metrics).
 */
import { type DynamicModule, Global, Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { PrometheusModule } from '@willsoto/nestjs-prometheus';
import type { NeuronConfig } from '@app/core';
import { DevicesController } from './http/devices.controller';
import { DeviceWorkerModule } from './device-worker/device-worker.module';
import { DeviceStatsService } from './health/device-stats.service';
import { GpuTelemetry } from './health/gpu-telemetry.service';
import { ModelDownloadService } from './downloads/model-download.service';
import { HealthController } from './health/health.controller';
import { APP_GUARD } from '@nestjs/core';
import { TokenGuard } from './http/token.guard';
import { DrainService } from './lifecycle/drain.service';
import { InferenceController } from './http/inference.controller';
import { InferenceService } from './inference/inference.service';
import { KvMetrics } from './metrics/kv-metrics.service';
import { ModelLoaderService } from './models/model-loader.service';
import { ModelRegistryService } from './models/model-registry.service';
import { ModelsController } from './http/models.controller';
import { FAULTS_ENABLED, NEURON_CONFIG, WORKER_ENTRY } from './config/neuron.tokens';

export interface NeuronModuleOptions {
  config: NeuronConfig;
  workerEntry: string;
  faults: boolean;
}

@Global()
@Module({})
class NeuronConfigModule {
  static register(opts: NeuronModuleOptions): DynamicModule {
    const providers = [
      { provide: NEURON_CONFIG, useValue: opts.config },
      { provide: WORKER_ENTRY, useValue: opts.workerEntry },
      { provide: FAULTS_ENABLED, useValue: opts.faults },
    ];
    return { module: NeuronConfigModule, providers, exports: providers };
  }
}

@Module({})
export class NeuronModule {
  static forRoot(opts: NeuronModuleOptions): DynamicModule {
    return {
      module: NeuronModule,
      imports: [
        NeuronConfigModule.register(opts),
        PrometheusModule.register({ path: '/metrics' }),
        TerminusModule.forRoot({ errorLogStyle: 'pretty' }),
        DeviceWorkerModule,
      ],
      controllers: [ModelsController, InferenceController, HealthController, DevicesController],
      providers: [
        ModelRegistryService,
        ModelLoaderService,
        InferenceService,
        KvMetrics,
        DrainService,
        DeviceStatsService,
        GpuTelemetry,
        ModelDownloadService,
        { provide: APP_GUARD, useClass: TokenGuard },
      ],
    };
  }
}
