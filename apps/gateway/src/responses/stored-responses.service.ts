/** The Responses API's reads of stored responses: one by id, its input items, and delete — each the caller's own. */
import { Injectable } from '@nestjs/common';
import type { ResponseObject } from '@app/translate';
import type { Caller } from '../auth/caller';
import { ResponseStore, notFound, ownerOf } from './response-store.service';

@Injectable()
export class StoredResponses {
  constructor(private readonly store: ResponseStore) {}

  /** The stored response, or a 404 naming the id. */
  async get(id: string, caller: Caller | null): Promise<ResponseObject> {
    const found = await this.store.get(ownerOf(caller), id);
    if (!found) throw notFound(id, 'response_id');
    return found.response;
  }

  async inputItems(id: string, caller: Caller | null) {
    const found = await this.store.get(ownerOf(caller), id);
    if (!found) throw notFound(id, 'response_id');
    const ids = found.input.map((i) => (i as { id?: unknown }).id).filter((x) => typeof x === 'string');
    return {
      object: 'list',
      data: found.input,
      first_id: ids[0] ?? null,
      last_id: ids.at(-1) ?? null,
      has_more: false,
    };
  }

  async delete(id: string, caller: Caller | null) {
    if (!(await this.store.delete(ownerOf(caller), id))) throw notFound(id, 'response_id');
    return { id, object: 'response', deleted: true };
  }
}
