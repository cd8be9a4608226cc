/**
 * Graceful shutdown of the gateway. On SIGTERM new requests get 503 `shutting_down` (with
 * Retry-After) and /readyz goes down, requests in flight get gateway.drain_timeout_s to finish, and
 * then every one still running is told to stop: streams end with an error frame in their dialect,
 * never a silent cut, before the server closes its connections.
 */
import { type BeforeApplicationShutdown, Inject, Injectable, Logger } from '@nestjs/common';
import { type CortexConfig, CortexError } from '@app/core';
import { GATEWAY_CONFIG } from '../config/gateway.tokens';

export interface DrainTicket {
  /** The drain timeout has passed and this request was told to end now. */
  readonly stopped: boolean;
  leave(): void;
}

@Injectable()
export class DrainService implements BeforeApplicationShutdown {
  private readonly log = new Logger('Drain');
  draining = false;
  /** Each request in flight, with what ends it when the drain times out. */
  private readonly active = new Set<() => void>();
  private idle: Array<() => void> = [];

  constructor(@Inject(GATEWAY_CONFIG) private readonly cfg: CortexConfig) {}

  /** Admits a request (or refuses it while draining) and tracks it until `leave()`; `stop` ends it at the drain timeout. */
  enter(stop: () => void): DrainTicket {
    if (this.draining) {
      throw new CortexError('shutting_down', 'the gateway is shutting down; retry shortly', { retryAfterS: 5 });
    }
    const ticket = {
      stopped: false,
      leave: () => {
        if (!this.active.delete(end)) return;
        if (this.active.size === 0) this.idle.splice(0).forEach((r) => r());
      },
    };
    const end = () => {
      ticket.stopped = true;
      stop();
    };
    this.active.add(end);
    return ticket;
  }

  get inFlight(): number {
    return this.active.size;
  }

  async beforeApplicationShutdown(signal?: string): Promise<void> {
    this.draining = true;
    if (this.active.size === 0) return;
    const limit = this.cfg.gateway.drain_timeout_s;
    this.log.warn(`${signal ?? 'shutdown'}: draining ${this.active.size} request(s) for up to ${limit} s`);
    if (await this.settled(limit * 1000)) return;
    this.log.warn(`drain timeout: ending ${this.active.size} request(s) with a shutting_down error`);
    [...this.active].forEach((end) => end());
    await this.settled(2000);
  }

  private settled(ms: number): Promise<boolean> {
    if (this.active.size === 0) return Promise.resolve(true);
    const done = new Promise<boolean>((r) => this.idle.push(() => r(true)));
    const timeout = new Promise<boolean>((r) => setTimeout(() => r(false), ms).unref());
    return Promise.race([done, timeout]);
  }
}
