/**
 * Fair share's rule for free seats when generations cannot be preempted: an account served lately
 * keeps its share of the seats free for its next request, so a tenant working in turns does not wait
 * behind another's flood. Pure: the Admission calls it with its tenants and its clock.
 */
import type { Waiter } from './admission';

/** An account's (or the anonymous) queue and virtual time. */
export interface Tenant {
  /** The account; '' for anonymous requests. */
  key: string;
  share: number;
  vtime: number;
  queue: Waiter[];
  /** Seats it holds now. */
  running: number;
  /** When its last seat was given back (-Infinity: never). */
  lastEnd: number;
}

/** Accounts (never anonymous) that are running, waiting, or were served within `holdMs`. */
export function active(tenants: Iterable<Tenant>, now: number, holdMs: number): Tenant[] {
  return [...tenants].filter((t) => t.key !== '' && (t.running > 0 || t.queue.length > 0 || now - t.lastEnd < holdMs));
}

/**
 * Whether `t` may take a free seat: yes while it has less than its fair share (seats × its share /
 * the active accounts' shares; anonymous requests have none), else only when no other active account
 * has less than its own (that seat is held for it).
 */
export function mayTake(t: Tenant, tenants: Iterable<Tenant>, seats: number, now: number, holdMs: number): boolean {
  const act = active(tenants, now, holdMs);
  const total = act.reduce((n, a) => n + a.share, 0) + (act.includes(t) || t.key === '' ? 0 : t.share);
  const fair = (a: Tenant) => (a.key === '' ? 0 : (seats * a.share) / total);
  if (t.running < fair(t)) return true;
  return !act.some((o) => o !== t && o.running < fair(o));
}
