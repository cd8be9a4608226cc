/**
 * Who a request is for, as the gateway tells the neuron, so the neuron's admission can share seats
 * fairly between accounts. The neuron believes these headers only when it has a token (so only an
 * authenticated gateway can send them); otherwise every request is anonymous.
 */
export const ACCOUNT_HEADER = 'x-cortex-account-id';
export const KEY_HEADER = 'x-cortex-key-id';
/** The account's weight in fair share (a positive number; 1 when unset). */
export const SHARE_HEADER = 'x-cortex-share';

export interface Principal {
  /** null: anonymous (no key), served when no account waits. */
  account: string | null;
  share: number;
}

export const ANONYMOUS: Principal = { account: null, share: 1 };

/** Most shares a header may claim: a typo cannot starve every other account. */
export const MAX_SHARE = 100;

/** The principal the headers name, or anonymous when they name none (or `trusted` is false). */
export function principalOf(headers: Record<string, unknown>, trusted: boolean): Principal {
  const account = headers[ACCOUNT_HEADER];
  if (!trusted || typeof account !== 'string' || !account || account.length > 256) return ANONYMOUS;
  const share = Number(headers[SHARE_HEADER]);
  return { account, share: Number.isFinite(share) && share > 0 ? Math.min(share, MAX_SHARE) : 1 };
}
