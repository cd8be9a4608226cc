/**
 * Where the gateway last sent each session of each model: the hint that bridges the time until the
 * neurons report the session warm (a poll later). A port with two adapters: this replica's memory
 * (bounded, least recently used first) and Redis (redis-session-hints.ts), so a session's next turn
 * goes to the same replica whichever gateway replica it reaches.
 */

/** Sessions remembered at once in memory. */
const MAX = 10_000;

export abstract class SessionHints {
  /** Whether other replicas' hints can be fetched (prefetch does something). */
  abstract readonly shared: boolean;
  /** The node `session` of `model` was last sent to, as this replica knows now. */
  abstract get(model: string, session: string): string | undefined;
  abstract set(model: string, session: string, node: string): void;
  /** Lets get() see what other replicas recorded (a no-op in memory); never fails. */
  abstract prefetch(model: string, session: string): Promise<void>;
}

export class MemorySessionHints extends SessionHints {
  readonly shared = false;
  private readonly lastServed = new Map<string, string>();

  get(model: string, session: string): string | undefined {
    return this.lastServed.get(`${model}\u0000${session}`);
  }

  set(model: string, session: string, node: string): void {
    const key = `${model}\u0000${session}`;
    this.lastServed.delete(key);
    this.lastServed.set(key, node);
    if (this.lastServed.size > MAX) this.lastServed.delete(this.lastServed.keys().next().value!);
  }

  prefetch(): Promise<void> {
    return Promise.resolve();
  }
}
