/**
 * Stored Responses in Redis, shared by every gateway replica, so a chain (previous_response_id) and
 * item references work whichever replica a load balancer picks for each turn. One key per response
 * (its owner, response and input as JSON) and one per item naming its response, all expiring
 * [responses] store_ttl_s after their last use; Redis's own maxmemory policy bounds the total. A
 * store that cannot be reached is a 503 for the request that needs it (counted and warned); an
 * answer whose response could not be kept is still delivered.
 */
import type { CortexConfig } from '@app/core';
import type { ResponseObject } from '@app/translate';
import { type StateRedis, storeUnavailable } from '../state/state-redis';
import { ResponseStore, type Stored, itemIds } from './response-store.service';

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

  protected async entry(id: string): Promise<Stored | null> {
    const text = await this.call(() => this.state.client.get(RESPONSE + id));
    return text === null ? null : (JSON.parse(text) as Stored);
  }

  protected holder(itemId: string): Promise<string | null> {
    return this.call(() => this.state.client.get(ITEM + itemId));
  }

  /** Its expiry, and its items', pushed back (not awaited: a failure only shortens its life). */
  protected touch(id: string, e: Stored): void {
    const tx = this.state.client.multi().pexpire(RESPONSE + id, this.ttlMs);
    for (const item of itemIds(e.response, e.input)) tx.pexpire(ITEM + item, this.ttlMs);
    tx.exec().catch((err: unknown) => this.state.failed('responses', 'a stored response was not kept alive', err));
  }

  protected async remove(id: string, e: Stored): Promise<void> {
    const keys = [RESPONSE + id, ...itemIds(e.response, e.input).map((i) => ITEM + i)];
    await this.call(() => this.state.client.del(...keys));
  }

  private async call<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      this.state.failed('responses', 'the response store could not be read', err);
      throw storeUnavailable('response');
    }
  }
}
