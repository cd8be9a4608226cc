/**
 * Stored Responses in Redis, shared by every gateway replica, so a chain (previous_response_id) and
 * item references work whichever replica a load balancer picks for each turn. One key per response
 * (its owner, response and input as JSON) and one per item naming its response, all expiring
 * [responses] store_ttl_s after their last use; Redis's own maxmemory policy bounds the total. A
 * store that cannot be reached is a 503 for the request that needs it (counted and warned); an
 * answer whose response could not be kept is still delivered.
 */
import { type CortexConfig, CortexError } from '@app/core';
import type { ResponseObject } from '@app/translate';
import type { StateRedis } from '../state/state-redis';
import { ResponseStore, type Stored, findItem, itemIds } from './response-store.service';

const RESPONSE = 'cortex:resp:';
const ITEM = 'cortex:resp-item:';

export class RedisResponseStore extends ResponseStore {
  constructor(
    cfg: CortexConfig,
    private readonly state: StateRedis,
  ) {
    super(cfg);
  }

  private get ttlMs(): number {
    return this.cfg.responses.store_ttl_s * 1000;
  }

  async put(owner: string, response: ResponseObject, input: unknown[]): Promise<void> {
    const text = JSON.stringify({ owner, response, input } satisfies Stored);
    if (!this.enabled || !this.fits(text.length)) return;
    const tx = this.state.client.multi().set(RESPONSE + response.id, text, 'PX', this.ttlMs);
    for (const item of itemIds(response, input)) tx.set(ITEM + item, response.id, 'PX', this.ttlMs);
    await tx.exec().catch((err: unknown) => this.state.failed('responses', 'a response was not stored', err));
  }

  async item(owner: string, itemId: string): Promise<unknown> {
    const id = await this.call(() => this.state.client.get(ITEM + itemId));
    const e = id === null ? null : await this.entry(id);
    return e && e.owner === owner ? findItem(e, itemId) : null;
  }

  async get(owner: string, id: string): Promise<{ response: ResponseObject; input: unknown[] } | null> {
    const e = await this.entry(id);
    return e && e.owner === owner ? { response: e.response, input: e.input } : null;
  }

  async delete(owner: string, id: string): Promise<boolean> {
    const e = await this.entry(id);
    if (!e || e.owner !== owner) return false;
    const keys = [RESPONSE + id, ...itemIds(e.response, e.input).map((i) => ITEM + i)];
    await this.call(() => this.state.client.del(...keys));
    return true;
  }

  /** One entry, its expiry (and its items') pushed back: it was used. */
  protected async entry(id: string): Promise<Stored | null> {
    const text = await this.call(() => this.state.client.get(RESPONSE + id));
    if (text === null) return null;
    const e = JSON.parse(text) as Stored;
    const tx = this.state.client.multi().pexpire(RESPONSE + id, this.ttlMs);
    for (const item of itemIds(e.response, e.input)) tx.pexpire(ITEM + item, this.ttlMs);
    tx.exec().catch((err: unknown) => this.state.failed('responses', 'a stored response was not kept alive', err));
    return e;
  }

  private async call<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      this.state.failed('responses', 'the response store could not be read', err);
      throw new CortexError('service_unavailable', 'the response store is unavailable; retry shortly', {
        retryAfterS: 5,
      });
    }
  }
}
