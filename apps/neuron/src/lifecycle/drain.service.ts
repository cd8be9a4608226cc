/**
 * Graceful shutdown: on SIGTERM new requests get 503 `shutting_down` with Retry-After, in-flight
 * requests get up to drain_timeout_s to finish; those still running are then told to stop, so a
 * stream ends with a `shutting_down` error frame (never a silent cut), and only then do the device
 * workers stop and the server close its connections.
 */
import { Inject, Injectable, Logger, type BeforeApplicationShutdown } from '@nestjs/common';
import type { NeuronConfig } from '@app/core';
import { NEURON_CONFIG } from '../config/neuron.tokens';
import { CortexError } from '@app/core';

@Injectable()
export class DrainService implements BeforeApplicationShutdown {
  private readonly log = new Logger('Drain');
  draining = false;
  private active = 0;
  private idle: Array<() => void> = [];
  /** What ends each request in flight that asked to be told. */
  private readonly stoppers = new Set<(err: CortexError) => void>();

  constructor(@Inject(NEURON_CONFIG) private readonly cfg: NeuronConfig) {}

  assertOpen(): void {
    if (this.draining) {
      throw new CortexError('shutting_down', 'neuron is shutting down', { retryAfterS: 15 });
    }
  }

  /** Counts a request until the returned function is called; `stop` ends it at the drain timeout. */
  enter(stop?: (err: CortexError) => void): () => void {
    this.active++;
    if (stop) this.stoppers.add(stop);
    let left = false;
    return () => {
      if (left) return;
      left = true;
      if (stop) this.stoppers.delete(stop);
      if (--this.active === 0) this.idle.splice(0).forEach((r) => r());
    };
  }

  async beforeApplicationShutdown(signal?: string): Promise<void> {
    this.draining = true;
    if (this.active === 0) return;
    this.log.warn(
      `${signal ?? 'shutdown'}: draining ${this.active} request(s) for up to ${this.cfg.drain_timeout_s} s`,
    );
    if (await this.settled(this.cfg.drain_timeout_s * 1000)) return;
    this.log.warn(`drain timeout: ending ${this.active} request(s) with a shutting_down error; stopping workers`);
    const err = new CortexError('shutting_down', 'the neuron is shutting down; this response was cut short', {
      retryAfterS: 15,
    });
    [...this.stoppers].forEach((stop) => stop(err));
    await this.settled(2000); // their error frames are written before the server closes
  }

  private settled(ms: number): Promise<boolean> {
    if (this.active === 0) return Promise.resolve(true);
    const done = new Promise<boolean>((r) => this.idle.push(() => r(true)));
    const timeout = new Promise<boolean>((r) => setTimeout(() => r(false), ms).unref());
    return Promise.race([done, timeout]);
  }
}
