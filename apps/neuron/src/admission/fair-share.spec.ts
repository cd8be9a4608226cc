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

  it('holds an account’s share of the seats for its next turn: a flood at its own share cannot fill it', async () => {
    let now = 0;
    const sut = new Admission(2, 20, 10_000, 100, () => now);
    const a1 = await sut.acquire(undefined, acct('a'));
    const a2 = await sut.acquire(undefined, acct('a')); // alone, a may have both seats
    const b = sut.acquire(undefined, acct('b'));
    const flood = Array.from({ length: 3 }, () => sut.acquire(undefined, acct('a')));
    a1();
    const bDone = await b; // b's turn comes before a's queue
    now = 10;
    bDone(); // b thinks between turns: its seat stays free, a (at its share of 1) cannot take it
    await new Promise((r) => setTimeout(r, 5));
    expect(sut.inFlight).toBe(1);
    now = 20;
    const bAgain = await sut.acquire(undefined, acct('b')); // at once, not behind a's flood
    expect(sut.inFlight).toBe(2);
    bAgain();
    // b stays away: once its hold lapses, a's waiter gets the seat.
    now = 121;
    const f0 = await flood[0]!;
    expect(sut.inFlight).toBe(2);
    a2();
    f0();
    for (const f of flood.slice(1)) (await f)();
    expect(sut.inFlight).toBe(0);
  });

  it('without a hold (share_hold_ms = 0) the free seat goes to the flood at once', async () => {
    const sut = new Admission(2, 20, 10_000, 0);
    const a1 = await sut.acquire(undefined, acct('a'));
    await sut.acquire(undefined, acct('a'));
    const b = sut.acquire(undefined, acct('b'));
    const flood = sut.acquire(undefined, acct('a'));
    a1();
    (await b)();
    await flood; // granted on b's release
    expect(sut.inFlight).toBe(2);
  });

  it('never holds a seat no one can use: one seat between two accounts alternates', async () => {
    const sut = new Admission(1, 20, 10_000, 60_000);
    const first = await sut.acquire(undefined, acct('x'));
    const got = await order(
      sut,
      first,
      [
        [acct('a'), 3],
        [acct('b'), 3],
      ],
      6,
    );
    expect(got).toEqual(['a', 'b', 'a', 'b', 'a', 'b']);
  });
});
