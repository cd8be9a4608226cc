/**
 * Stored Responses API responses, so previous_response_id, GET and DELETE work: bounded by count and
 * bytes, least recently used first, forgotten after a TTL, and visible only to the account that made
 * them. Each entry holds its own input and a link to the response it continued, so a long chain costs
 * what its turns cost, not their sum. In memory, per gateway replica (docs/responses-translation.md).
 */
import { Inject, Injectable } from '@nestjs/common';
import { type CortexConfig, CortexError } from '@app/core';
import type { ResponseObject } from '@app/translate';
import type { Caller } from '../auth/caller';
import { CLOCK, type Clock, GATEWAY_CONFIG } from '../config/gateway.tokens';

/** Stored responses belong to the account that made them (anonymous callers share one). */
export function ownerOf(caller: Caller | null): string {
  return caller?.accountId ?? '';
}

export function notFound(id: string, param: string): CortexError {
  return new CortexError(
    'not_found',
    `${param}: no stored response '${id}' (responses are kept per gateway, for a while)`,
    {
      param,
    },
  );
}

interface Stored {
  owner: string;
  response: ResponseObject;
  input: unknown[];
  bytes: number;
  usedAt: number;
}

export type ChainLookup = { items: unknown[] } | { missing: string };

@Injectable()
export class ResponseStore {
  /** Map order is use order: the first entry is the least recently used. */
  private readonly entries = new Map<string, Stored>();
  /** Each stored item's id → the response that holds it (item_reference resolves through it). */
  private readonly items = new Map<string, string>();
  private total = 0;

  constructor(
    @Inject(GATEWAY_CONFIG) private readonly cfg: CortexConfig,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  get enabled(): boolean {
    return this.cfg.responses.store_max_entries > 0;
  }

  get size(): { entries: number; bytes: number } {
    return { entries: this.entries.size, bytes: this.total };
  }

  put(owner: string, response: ResponseObject, input: unknown[]): void {
    if (!this.enabled) return;
    const bytes = JSON.stringify(response).length + JSON.stringify(input).length;
    if (bytes > this.cfg.responses.store_max_mb * 1024 * 1024) return;
    this.remove(response.id);
    this.entries.set(response.id, { owner, response, input, bytes, usedAt: this.clock.now() });
    for (const id of itemIds(response, input)) this.items.set(id, response.id);
    this.total += bytes;
    this.evict();
  }

  /** A stored item (an output or input item of one of `owner`'s live responses) by its id. */
  item(owner: string, itemId: string): unknown {
    const responseId = this.items.get(itemId);
    const e = responseId === undefined ? undefined : this.live(responseId);
    if (!e || e.owner !== owner) return null;
    this.touch(responseId!, e);
    return [...e.response.output, ...e.input].find((i) => idOf(i) === itemId) ?? null;
  }

  get(owner: string, id: string): { response: ResponseObject; input: unknown[] } | null {
    const e = this.live(id);
    if (!e || e.owner !== owner) return null;
    this.touch(id, e);
    return { response: e.response, input: e.input };
  }

  delete(owner: string, id: string): boolean {
    const e = this.live(id);
    if (!e || e.owner !== owner) return false;
    this.remove(id);
    return true;
  }

  /** The whole conversation that `id` ended: every linked response's input and output, oldest first. */
  chain(owner: string, id: string): ChainLookup | null {
    const parts: unknown[][] = [];
    let at: string | null = id;
    for (let depth = 0; at !== null; depth++) {
      const e: Stored | undefined = depth <= this.entries.size ? this.live(at) : undefined;
      if (!e || e.owner !== owner) return depth === 0 ? null : { missing: at };
      this.touch(at, e);
      parts.unshift([...e.input, ...e.response.output]);
      at = e.response.previous_response_id;
    }
    return { items: parts.flat() };
  }

  private live(id: string): Stored | undefined {
    const e = this.entries.get(id);
    if (e && this.clock.now() - e.usedAt > this.cfg.responses.store_ttl_s * 1000) {
      this.remove(id);
      return undefined;
    }
    return e;
  }

  private touch(id: string, e: Stored): void {
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

function idOf(item: unknown): string | undefined {
  const id = (item as { id?: unknown } | null)?.id;
  return typeof id === 'string' && id ? id : undefined;
}

function itemIds(response: ResponseObject, input: unknown[]): string[] {
  return [...response.output, ...input].map(idOf).filter((x): x is string => x !== undefined);
}
