/**
 * The state the gateway keeps between requests, each concern behind its port: per-key limits,
 * budgets, stored Responses, the usage ledger and session hints (global: the router reads them too). Without [state] redis_url every port is this
 * replica's memory; with it every port is Redis, shared by every replica (docs/multi-tenant.md).
 */
import { Global, Module } from '@nestjs/common';
import { getToken } from '@willsoto/nestjs-prometheus';
import type { Counter } from 'prom-client';
import type { CortexConfig } from '@app/core';
import { BudgetLedger, MemoryBudgetLedger } from './budgets/budget-ledger';
import { RedisBudgetLedger } from './budgets/redis-budget-ledger';
import { CLOCK, type Clock, GATEWAY_CONFIG } from './config/gateway.tokens';
import { LimitStore, MemoryLimitStore } from './limits/limit-store';
import { RedisLimitStore } from './limits/redis-limit-store';
import { G } from './metrics/gateway-metrics';
import { RedisResponseStore } from './responses/redis-response-store';
import { RedisSessionHints } from './router/redis-session-hints';
import { MemorySessionHints, SessionHints } from './router/session-hints';
import { MemoryResponseStore, ResponseStore } from './responses/response-store.service';
import { MemoryUsageLedger, UsageLedger } from './usage/usage-ledger';
import { RedisUsageLedger } from './usage/redis-usage-ledger';
import { STATE_REDIS, StateRedis } from './state/state-redis';

/** How long a seat or a reservation counts at most: longer than any request may run, resumes included. */
function leaseMs(cfg: CortexConfig): number {
  const resumes = cfg.resume.max_attempts * cfg.resume.deadline_s;
  return (cfg.upstream.request_timeout_s + cfg.upstream.load_timeout_s + resumes + 60) * 1000;
}

const providers = [
  {
    provide: STATE_REDIS,
    inject: [GATEWAY_CONFIG, getToken(G.stateErrors)],
    useFactory: (cfg: CortexConfig, failures: Counter<string>) =>
      cfg.state.redis_url ? new StateRedis(cfg.state.redis_url, cfg.state.timeout_ms, failures) : null,
  },
  {
    provide: UsageLedger,
    inject: [STATE_REDIS],
    useFactory: (redis: StateRedis | null) => (redis ? new RedisUsageLedger(redis) : new MemoryUsageLedger()),
  },
  {
    provide: LimitStore,
    inject: [GATEWAY_CONFIG, STATE_REDIS],
    useFactory: (cfg: CortexConfig, redis: StateRedis | null) =>
      redis ? new RedisLimitStore(redis, leaseMs(cfg)) : new MemoryLimitStore(),
  },
  {
    provide: BudgetLedger,
    inject: [GATEWAY_CONFIG, STATE_REDIS],
    useFactory: (cfg: CortexConfig, redis: StateRedis | null) =>
      redis ? new RedisBudgetLedger(redis, leaseMs(cfg)) : new MemoryBudgetLedger(),
  },
  {
    provide: ResponseStore,
    inject: [GATEWAY_CONFIG, CLOCK, STATE_REDIS],
    useFactory: (cfg: CortexConfig, clock: Clock, redis: StateRedis | null) =>
      redis ? new RedisResponseStore(cfg, redis) : new MemoryResponseStore(cfg, clock),
  },
  {
    provide: SessionHints,
    inject: [STATE_REDIS],
    useFactory: (redis: StateRedis | null) => (redis ? new RedisSessionHints(redis) : new MemorySessionHints()),
  },
];

@Global()
@Module({ providers, exports: providers.map((p) => p.provide) })
export class StateModule {}
