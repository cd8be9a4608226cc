/**
 * Graceful shutdown: on SIGTERM new requests get 503 `shutting_down` with Retry-After, in-flight
 * requests get up to drain_timeout_s to finish, and only then do the device workers stop.
 */
import { Inject, Injectable, Logger, type BeforeApplicationShutdown } from '@nestjs/common';
import type { NeuronConfig } from '@app/core';
import { NEURON_CONFIG } from '../neuron.tokens';
import { CortexError } from '@app/core';

@Injectable()
export class DrainService implements BeforeApplicationShutdown {
  private readonly log = new Logger('Drain');
  draining = false;
  private active = 0;
  private idle: Array<() => void> = [];

  constructor(@Inject(NEURON_CONFIG) private readonly cfg: NeuronConfig) {}

  assertOpen(): void {
    if (this.draining) {
      throw new CortexError('shutting_down', 'neuron is shutting down', { retryAfterS: 15 });
    }
  }

  enter(): () => void {
    this.active++;
    let left = false;
    return () => {
      if (left) return;
      left = true;
      if (--this.active === 0) this.idle.splice(0).forEach((r) => r());
    };
  }

  async beforeApplicationShutdown(signal?: string): Promise<void> {
    this.draining = true;
    if (this.active === 0) return;
    this.log.warn(
      `${signal ?? 'shutdown'}: draining ${this.active} request(s) for up to ${this.cfg.drain_timeout_s} s`,
    );
    const done = new Promise<void>((r) => this.idle.push(r));
    const timeout = new Promise<void>((r) => setTimeout(r, this.cfg.drain_timeout_s * 1000).unref());
    await Promise.race([done, timeout]);
    if (this.active) this.log.warn(`drain timeout: ${this.active} request(s) still running; stopping workers`);
  }
}
