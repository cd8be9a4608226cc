/** Fair share in admission: seats go round the accounts by their shares, anonymous requests yield, queues are per account. */
import { describe, expect, it } from 'vitest';
import type { Principal } from '@app/core';
import { Admission } from './admission';

const acct = (account: string, share = 1): Principal => ({ account, share });
const anon: Principal = { account: null, share: 1 };

/** Queues `n` requests of each principal (in that order), then frees seats one by one: who got each seat. */
async function order(sut: Admission, hold: () => void, waves: Array<[Principal, number]>, seats: number) {
  const got: string[] = [];
  const releases: Array<() => void> = [];
  const all: Array<Promise<void>> = [];
  for (const [p, n] of waves)
    for (let i = 0; i < n; i++)
      all.push(
        sut
          .acquire(undefined, p)
          .then((release) => {
            got.push(p.account ?? 'anon');
            releases.push(release);
          })
          .catch(() => undefined),
      );
  hold();
  for (let i = 0; i < seats; i++) {
    await new Promise((r) => setTimeout(r, 0));
    releases.shift()?.();
  }
  await new Promise((r) => setTimeout(r, 0));
  sut.close('test over'); // the rest are refused, not left to time out
  await Promise.all(all);
  return got;
}

describe('Admission fair share', () => {
  it('a flood from one account does not hold back another: seats alternate once both wait', async () => {
    const sut = new Admission(1, 20, 10_000);
    const first = await sut.acquire(undefined, acct('a'));
    const got = await order(
      sut,
      first,
      [
        [acct('a'), 8],
        [acct('b'), 3],
      ],
      8,
    );
    // FIFO would give b its first seat after all eight of a's.
    expect(got.slice(0, 6)).toEqual(['b', 'a', 'b', 'a', 'b', 'a']);
  });

  it('shares weigh the round: share 3 gets three seats for every one of share 1', async () => {
    const sut = new Admission(1, 40, 10_000);
    const first = await sut.acquire(undefined, acct('x'));
    const got = await order(
      sut,
      first,
      [
        [acct('big', 3), 12],
        [acct('small', 1), 12],
      ],
      16,
    );
    const head = got.slice(0, 16);
    expect(head.filter((g) => g === 'big')).toHaveLength(12);
    expect(head.filter((g) => g === 'small')).toHaveLength(4);
  });

  it('anonymous requests wait until no account does', async () => {
    const sut = new Admission(1, 10, 10_000);
    const first = await sut.acquire(undefined, anon);
    const got = await order(
      sut,
      first,
      [
        [anon, 2],
        [acct('a'), 2],
      ],
      4,
    );
    expect(got).toEqual(['a', 'a', 'anon', 'anon']);
  });

  it('queue limits are per account: one tenant full, another still queues', async () => {
    const sut = new Admission(1, 2, 10_000);
    const release = await sut.acquire(undefined, acct('a'));
    const waiting = [sut.acquire(undefined, acct('a')), sut.acquire(undefined, acct('a'))];
    await expect(sut.acquire(undefined, acct('a'))).rejects.toMatchObject({
      reason: 'queue_full',
      status: 429,
      message: expect.stringContaining('account a') as string,
    });
    expect(sut.mustWait(acct('a'))).toBe(false); // it would be refused, not queued
    expect(sut.mustWait(acct('b'))).toBe(true);
    const b = sut.acquire(undefined, acct('b'));
    expect(sut.queueDepth).toBe(3);
    release();
    (await b)(); // b's one request goes before a's second
    (await waiting[0]!)();
    (await waiting[1]!)();
    expect(sut.inFlight).toBe(0);
  });

  it('an account that idled earns no credit: it rejoins at the current turn', async () => {
    const sut = new Admission(1, 20, 10_000);
    // b is served alone for a while, then a (never served before) and b both wait.
    for (let i = 0; i < 5; i++) (await sut.acquire(undefined, acct('b')))();
    const first = await sut.acquire(undefined, acct('c'));
    const got = await order(
      sut,
      first,
      [
        [acct('b'), 4],
        [acct('a'), 4],
      ],
      6,
    );
    // a does not take six seats in a row to "catch up" with b's earlier five.
    expect(got.slice(0, 4).sort()).toEqual(['a', 'a', 'b', 'b']);
  });
});
