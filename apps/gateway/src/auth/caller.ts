/**
 * Who is asking, as the key guard found it: carried on the request itself (never in headers a
 * client could also send), read by the pipeline to tag the neuron call and charge the key's tokens.
 */
import type { FastifyRequest } from 'fastify';

export interface Caller {
  accountId: string;
  keyId: string;
  /** The account's weight in the neurons' fair share of seats ([[auth.keys]] share). */
  share: number;
  /** Resolved by the entitlement authority ([entitlements.upstream]): its budgets are the authority's. */
  authority: boolean;
  /** Charges a finished request's tokens to the key's token limits (a no-op for unlimited keys). */
  charge(tokens: number): void;
}

declare module 'fastify' {
  interface FastifyRequest {
    cortexCaller?: Caller | null;
  }
}

export function callerOf(req: FastifyRequest): Caller | null {
  return req.cortexCaller ?? null;
}
