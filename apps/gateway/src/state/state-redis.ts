/**
 * The one connection to the shared state store ([state] redis_url) that every concern kept there
 * uses (limits, budgets, stored responses, the usage ledger, session hints). Every call has the
 * deadline [state] timeout_ms and nothing queues while Redis is away, so a call fails at once
 * instead of hanging; each concern decides what a failure means, and reports it here (counted by
 * concern, warned at most once a minute).
 */
import { Logger, type OnApplicationShutdown } from '@nestjs/common';
import { Redis } from 'ioredis';
import type { Counter } from 'prom-client';
import { CortexError } from '@app/core';

export type StateConcern = 'usage' | 'limits' | 'budgets' | 'responses' | 'sessions';

export const STATE_REDIS = Symbol('STATE_REDIS');

/** The 503 of a request whose concern's store cannot be reached ("the budget store is unavailable"). */
export function storeUnavailable(store: string): CortexError {
  return new CortexError('service_unavailable', `the ${store} store is unavailable; retry shortly`, { retryAfterS: 5 });
}

export class StateRedis implements OnApplicationShutdown {
  readonly client: Redis;
  private readonly log = new Logger('StateStore');
  private warned = 0;

  constructor(
    url: string,
    timeoutMs: number,
    private readonly failures: Counter<string>,
  ) {
    this.client = new Redis(url, {
      commandTimeout: timeoutMs,
      connectTimeout: timeoutMs,
      maxRetriesPerRequest: 1,
      // While Redis is away, calls fail at once instead of queueing without bound.
      enableOfflineQueue: false,
    });
    this.client.on('error', (err: Error) => this.warn(`redis: ${err.message}`));
  }

  /** A call of `concern` failed: counted, and warned about (at most once a minute). */
  failed(concern: StateConcern, what: string, err: unknown): void {
    this.failures.inc({ concern });
    this.warn(`${what}: ${(err as Error)?.message ?? String(err)}`);
  }

  async onApplicationShutdown(): Promise<void> {
    // Writes already sent finish before the connection closes.
    await this.client.quit().catch(() => this.client.disconnect());
  }

  private warn(message: string): void {
    const now = Date.now();
    if (now - this.warned < 60_000) return;
    this.warned = now;
    this.log.warn(message);
  }
}
