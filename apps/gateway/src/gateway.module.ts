/**
 * Composition root of the gateway process: config and catalogue, the scheduler, health, metrics
 * providers, and the Router, Evictor, Poller and Translation modules behind the HTTP API.
 */
import { type DynamicModule, Global, Module } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import { TerminusModule } from '@nestjs/terminus';
import type { CortexConfig } from '@app/core';
import { AdminController } from './admin/admin.controller';
import { AdminService } from './admin/admin.service';
import { ApiKeyGuard } from './auth/api-key.guard';
import { BudgetService } from './budgets/budget.service';
import { EntitlementAuthority } from './entitlements/entitlement-authority';
import { ServedUsageReporter } from './entitlements/served-usage.reporter';
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
import { FleetModule } from './fleet/fleet.module';
import { PollerModule } from './poller/poller.module';
import { AnthropicAdapter } from './proxy/anthropic.adapter';
import { CountTokensService } from './proxy/count-tokens.service';
import { DispatcherService } from './proxy/dispatcher.service';
import { ResumeService } from './proxy/resume.service';
import { ProxyPipeline } from './proxy/proxy-pipeline.service';
import { RequestRecorder } from './proxy/request-recorder.service';
import { ResponsesAdapter } from './proxy/responses.adapter';
import { StoredResponses } from './responses/stored-responses.service';
import { RouterModule } from './router/router.module';
import { StateModule } from './state.module';
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
        StateModule,
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
        EntitlementAuthority,
        ServedUsageReporter,
        KeyLimitService,
        ApiKeyGuard,
        DrainService,
        ProxyPipeline,
        DispatcherService,
        ResumeService,
        RequestRecorder,
        BudgetService,
        AnthropicAdapter,
        ResponsesAdapter,
        CountTokensService,
        StoredResponses,
        AdminService,
        ConfigReloader,
      ],
    };
  }
}
