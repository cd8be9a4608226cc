/**
 * Stored Responses API responses, so previous_response_id, GET and DELETE work: forgotten after a
 * TTL, and visible only to the account that made them. Each entry holds its own input and a link to
 * the response it continued, so a long chain costs what its turns cost, not their sum. A port with
 * two adapters: this replica's memory (here, bounded by count and bytes, least recently used first)
 * and Redis (redis-response-store.ts), shared by every replica (docs/responses-translation.md).
 */
import { type CortexConfig, CortexError } from '@app/core';
import type { ResponseObject } from '@app/translate';
import type { Caller } from '../auth/caller';
import type { Clock } from '../config/gateway.tokens';

/** Stored responses belong to the account that made them (anonymous callers share one). */
export function ownerOf(caller: Caller | null): string {
  return caller?.accountId ?? '';
}

export function notFound(id: string, param: string): CortexError {
  return new CortexError(
    'not_found',
    `${param}: no stored response '${id}' (responses are kept for a while: [responses] store_ttl_s)`,
    {
      param,
    },
  );
}

export interface Stored {
  owner: string;
  response: ResponseObject;
  input: unknown[];
}

export type ChainLookup = { items: unknown[] } | { missing: string };

/** Most responses one chain may link (a loop or an absurd chain stops here). */
export const MAX_CHAIN = 10_000;

export abstract class ResponseStore<E extends Stored = Stored> {
  constructor(protected readonly cfg: CortexConfig) {}

  get enabled(): boolean {
    return this.cfg.responses.store_max_entries > 0;
  }

  /** Keeps `response` (with the input it answered) for `owner`; too large a response is not kept. */
  abstract put(owner: string, response: ResponseObject, input: unknown[]): Promise<void>;
  /** One live entry, whoever owns it, not marked used. */
  protected abstract entry(id: string): Promise<E | null>;
  /** The id of the response that holds item `itemId` (item_reference resolves through it). */
  protected abstract holder(itemId: string): Promise<string | null>;
  /** Marks an entry used: it lives store_ttl_s from now. */
  protected abstract touch(id: string, e: E): void;
  protected abstract remove(id: string, e: E): Promise<void>;

  get(owner: string, id: string): Promise<{ response: ResponseObject; input: unknown[] } | null> {
    return this.own(owner, id).then((e) => e && { response: e.response, input: e.input });
  }

  /** A stored item (an output or input item of one of `owner`'s live responses) by its id. */
  async item(owner: string, itemId: string): Promise<unknown> {
    const id = await this.holder(itemId);
    const e = id === null ? null : await this.own(owner, id);
    return e ? findItem(e, itemId) : null;
  }

  async delete(owner: string, id: string): Promise<boolean> {
    const e = await this.entry(id);
    if (!e || e.owner !== owner) return false;
    await this.remove(id, e);
    return true;
  }

  /** The whole conversation that `id` ended: every linked response's input and output, oldest first. */
  async chain(owner: string, id: string): Promise<ChainLookup | null> {
    const parts: unknown[][] = [];
    let at: string | null = id;
    for (let depth = 0; at !== null; depth++) {
      const e: E | null = depth <= MAX_CHAIN ? await this.own(owner, at) : null;
      if (!e) return depth === 0 ? null : { missing: at };
      parts.unshift([...e.input, ...e.response.output]);
      at = e.response.previous_response_id;
    }
    return { items: parts.flat() };
  }

  /** `owner`'s live entry `id`, marked used; null when there is none or another account owns it. */
  private async own(owner: string, id: string): Promise<E | null> {
    const e = await this.entry(id);
    if (!e || e.owner !== owner) return null;
    this.touch(id, e);
    return e;
  }

  /** Whether an entry of `bytes` may be kept at all. */
  protected fits(bytes: number): boolean {
    return bytes <= this.cfg.responses.store_max_mb * 1024 * 1024;
  }
}

interface Held extends Stored {
  bytes: number;
  usedAt: number;
}

export class MemoryResponseStore extends ResponseStore<Held> {
  /** Map order is use order: the first entry is the least recently used. */
  private readonly entries = new Map<string, Held>();
  /** Each stored item's id → the response that holds it (item_reference resolves through it). */
  private readonly items = new Map<string, string>();
  private total = 0;

  constructor(
    cfg: CortexConfig,
    private readonly clock: Clock,
  ) {
    super(cfg);
  }

  put(owner: string, response: ResponseObject, input: unknown[]): Promise<void> {
    const bytes = JSON.stringify(response).length + JSON.stringify(input).length;
    if (!this.enabled || !this.fits(bytes)) return Promise.resolve();
    this.drop(response.id);
    this.entries.set(response.id, { owner, response, input, bytes, usedAt: this.clock.now() });
    for (const id of itemIds(response, input)) this.items.set(id, response.id);
    this.total += bytes;
    this.evict();
    return Promise.resolve();
  }

  protected entry(id: string): Promise<Held | null> {
    return Promise.resolve(this.live(id) ?? null);
  }

  protected holder(itemId: string): Promise<string | null> {
    return Promise.resolve(this.items.get(itemId) ?? null);
  }

  protected touch(id: string, e: Held): void {
    e.usedAt = this.clock.now();
    this.entries.delete(id);
    this.entries.set(id, e);
  }

  protected remove(id: string): Promise<void> {
    this.drop(id);
    return Promise.resolve();
  }

  private live(id: string): Held | undefined {
    const e = this.entries.get(id);
    if (e && this.clock.now() - e.usedAt > this.cfg.responses.store_ttl_s * 1000) {
      this.drop(id);
      return undefined;
    }
    return e;
  }

  private drop(id: string): void {
    const e = this.entries.get(id);
    if (!e) return;
    this.entries.delete(id);
    for (const item of itemIds(e.response, e.input)) if (this.items.get(item) === id) this.items.delete(item);
    this.total -= e.bytes;
  }

  private evict(): void {
    const maxBytes = this.cfg.responses.store_max_mb * 1024 * 1024;
    for (const id of this.entries.keys()) {
      if (this.entries.size <= this.cfg.responses.store_max_entries && this.total <= maxBytes) return;
      this.drop(id);
    }
  }
}

/** The item `itemId` of a stored entry (its output or its input). */
export function findItem(e: Stored, itemId: string): unknown {
  return [...e.response.output, ...e.input].find((i) => idOf(i) === itemId) ?? null;
}

function idOf(item: unknown): string | undefined {
  const id = (item as { id?: unknown } | null)?.id;
  return typeof id === 'string' && id ? id : undefined;
}

export function itemIds(response: ResponseObject, input: unknown[]): string[] {
  return [...response.output, ...input].map(idOf).filter((x): x is string => x !== undefined);
}
