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

export abstract class ResponseStore {
  constructor(protected readonly cfg: CortexConfig) {}

  get enabled(): boolean {
    return this.cfg.responses.store_max_entries > 0;
  }

  /** Keeps `response` (with the input it answered) for `owner`; too large a response is not kept. */
  abstract put(owner: string, response: ResponseObject, input: unknown[]): Promise<void>;
  /** A stored item (an output or input item of one of `owner`'s live responses) by its id. */
  abstract item(owner: string, itemId: string): Promise<unknown>;
  abstract get(owner: string, id: string): Promise<{ response: ResponseObject; input: unknown[] } | null>;
  abstract delete(owner: string, id: string): Promise<boolean>;
  /** One stored entry, whoever owns it (used to walk a chain). */
  protected abstract entry(id: string): Promise<Stored | null>;

  /** The whole conversation that `id` ended: every linked response's input and output, oldest first. */
  async chain(owner: string, id: string): Promise<ChainLookup | null> {
    const parts: unknown[][] = [];
    let at: string | null = id;
    for (let depth = 0; at !== null; depth++) {
      const e: Stored | null = depth <= MAX_CHAIN ? await this.entry(at) : null;
      if (!e || e.owner !== owner) return depth === 0 ? null : { missing: at };
      parts.unshift([...e.input, ...e.response.output]);
      at = e.response.previous_response_id;
    }
    return { items: parts.flat() };
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

export class MemoryResponseStore extends ResponseStore {
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
    this.remove(response.id);
    this.entries.set(response.id, { owner, response, input, bytes, usedAt: this.clock.now() });
    for (const id of itemIds(response, input)) this.items.set(id, response.id);
    this.total += bytes;
    this.evict();
    return Promise.resolve();
  }

  item(owner: string, itemId: string): Promise<unknown> {
    const responseId = this.items.get(itemId);
    const e = responseId === undefined ? undefined : this.live(responseId);
    if (!e || e.owner !== owner) return Promise.resolve(null);
    this.touch(responseId!, e);
    return Promise.resolve(findItem(e, itemId));
  }

  get(owner: string, id: string): Promise<{ response: ResponseObject; input: unknown[] } | null> {
    const e = this.live(id);
    if (!e || e.owner !== owner) return Promise.resolve(null);
    this.touch(id, e);
    return Promise.resolve({ response: e.response, input: e.input });
  }

  delete(owner: string, id: string): Promise<boolean> {
    const e = this.live(id);
    if (!e || e.owner !== owner) return Promise.resolve(false);
    this.remove(id);
    return Promise.resolve(true);
  }

  protected entry(id: string): Promise<Stored | null> {
    const e = this.live(id);
    if (e) this.touch(id, e);
    return Promise.resolve(e ?? null);
  }

  private live(id: string): Held | undefined {
    const e = this.entries.get(id);
    if (e && this.clock.now() - e.usedAt > this.cfg.responses.store_ttl_s * 1000) {
      this.remove(id);
      return undefined;
    }
    return e;
  }

  private touch(id: string, e: Held): void {
    e.usedAt = this.clock.now();
    this.entries.delete(id);
    this.entries.set(id, e);
  }

  private remove(id: string): void {
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
      this.remove(id);
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
