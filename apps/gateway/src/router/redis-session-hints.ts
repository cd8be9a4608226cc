/**
 * Session hints shared by every gateway replica in Redis: each one written through (expiring after
 * a while: by then the neurons report the session warm themselves), and read before routing when
 * this replica does not know the session yet. A store that fails costs only the hint (counted and
 * warned): the request is routed as if the session were new.
 */
import type { StateRedis } from '../state/state-redis';
import { MemorySessionHints, SessionHints } from './session-hints';

const PREFIX = 'cortex:session:';
/** A hint outlives many polls; a session idle longer is placed afresh (or by the neurons' report). */
const TTL_MS = 15 * 60_000;

export class RedisSessionHints extends SessionHints {
  readonly shared = true;
  /** What this replica knows already (its own and fetched hints). */
  private readonly local = new MemorySessionHints();

  constructor(private readonly state: StateRedis) {
    super();
  }

  get(model: string, session: string): string | undefined {
    return this.local.get(model, session);
  }

  set(model: string, session: string, node: string): void {
    if (this.local.get(model, session) === node) return;
    this.local.set(model, session, node);
    this.state.client
      .set(`${PREFIX}${model}\u0000${session}`, node, 'PX', TTL_MS)
      .catch((err: unknown) => this.state.failed('sessions', 'a session hint was not shared', err));
  }

  async prefetch(model: string, session: string): Promise<void> {
    if (this.local.get(model, session) !== undefined) return;
    try {
      const node = await this.state.client.get(`${PREFIX}${model}\u0000${session}`);
      if (node) this.local.set(model, session, node);
    } catch (err) {
      this.state.failed('sessions', 'a session hint could not be read', err);
    }
  }
}
