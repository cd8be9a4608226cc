/**
 * Composition root of the gateway process: config and catalogue, the scheduler, health, metrics
 * providers, and the Router, Evictor, Poller and Translation modules behind the HTTP API.
 */
import { type DynamicModule, Global, Module } from '@nestjs/common';
import { getToken } from '@willsoto/nestjs-prometheus';
import type { Counter } from 'prom-client';
import { ScheduleModule } from '@nestjs/schedule';
import { TerminusModule } from '@nestjs/terminus';
import type { CortexConfig } from '@app/core';
import { AdminController } from './admin/admin.controller';
import { AdminService } from './admin/admin.service';
import { ApiKeyGuard } from './auth/api-key.guard';
import { AuthService } from './auth/auth.service';
import type { Catalogue } from './config/catalogue';
import { EvictorModule } from './evictor/evictor.module';
import { CATALOGUE, CLOCK, CONFIG_PATH, GATEWAY_CONFIG } from './config/gateway.tokens';
import { ConfigReloader } from './reload/config-reloader.service';
import { RequestJournal } from './metrics/request-journal';
import { KeyLimitService } from './limits/key-limit.service';
import { HealthController } from './health/health.controller';
import { AnthropicController } from './http/anthropic.controller';
import { DrainService } from './lifecycle/drain.service';
import { ModelsController } from './http/models.controller';
import { OpenAIController } from './http/openai.controller';
import { ResponsesController } from './http/responses.controller';
import { GatewayMetricsModule } from './metrics/gateway-metrics.module';
import { G } from './metrics/gateway-metrics';
import { FleetModule } from './fleet/fleet.module';
import { PollerModule } from './poller/poller.module';
import { AnthropicAdapter } from './proxy/anthropic.adapter';
import { CountTokensService } from './proxy/count-tokens.service';
import { DispatcherService } from './proxy/dispatcher.service';
import { ResumeService } from './proxy/resume.service';
import { MemoryUsageLedger, UsageLedger } from './usage/usage-ledger';
import { RedisUsageLedger } from './usage/redis-usage-ledger';
import { ProxyPipeline } from './proxy/proxy-pipeline.service';
import { RequestRecorder } from './proxy/request-recorder.service';
import { ResponsesAdapter } from './proxy/responses.adapter';
import { ResponseStore } from './responses/response-store.service';
import { StoredResponses } from './responses/stored-responses.service';
import { RouterModule } from './router/router.module';
import { TranslationModule } from './translation/translation.module';
import { UpstreamModule } from './upstream/upstream.module';

@Global()
@Module({})
class GatewayConfigModule {
  static register(cfg: CortexConfig, catalogue: Catalogue, configPath: string | null): DynamicModule {
    const providers = [
      { provide: GATEWAY_CONFIG, useValue: cfg },
      { provide: CATALOGUE, useValue: catalogue },
      { provide: CONFIG_PATH, useValue: configPath },
      RequestJournal,
      { provide: CLOCK, useValue: { now: () => Date.now() } },
    ];
    return { module: GatewayConfigModule, providers, exports: providers };
  }
}

@Module({})
export class GatewayModule {
  static forRoot(cfg: CortexConfig, catalogue: Catalogue, configPath: string | null = null): DynamicModule {
    return {
      module: GatewayModule,
      imports: [
        GatewayConfigModule.register(cfg, catalogue, configPath),
        ScheduleModule.forRoot(),
        TerminusModule.forRoot({ errorLogStyle: 'pretty' }),
        GatewayMetricsModule,
        UpstreamModule,
        FleetModule,
        PollerModule,
        EvictorModule,
        RouterModule,
        TranslationModule,
      ],
      controllers: [
        HealthController,
        OpenAIController,
        ResponsesController,
        AnthropicController,
        ModelsController,
        AdminController,
      ],
      providers: [
        AuthService,
        KeyLimitService,
        ApiKeyGuard,
        DrainService,
        ProxyPipeline,
        DispatcherService,
        ResumeService,
        RequestRecorder,
        {
          provide: UsageLedger,
          inject: [getToken(G.stateErrors)],
          useFactory: (failures: Counter<string>) =>
            cfg.state.redis_url
              ? new RedisUsageLedger(cfg.state.redis_url, cfg.state.timeout_ms, failures)
              : new MemoryUsageLedger(),
        },
        AnthropicAdapter,
        ResponsesAdapter,
        CountTokensService,
        ResponseStore,
        StoredResponses,
        AdminService,
        ConfigReloader,
      ],
    };
  }
}
