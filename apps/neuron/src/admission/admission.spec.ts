import { describe, expect, it } from 'vitest';
import { Admission, AdmissionRejected } from './admission';

describe(Admission.name, () => {
  it('grants up to `seats` at once and hands seats to waiters in order', async () => {
    const sut = new Admission(2, 4, 1000);
    const a = await sut.acquire();
    await sut.acquire();
    const order: string[] = [];
    const c = sut.acquire().then(() => order.push('c'));
    const d = sut.acquire().then(() => order.push('d'));
    expect(sut.inFlight).toBe(2);
    expect(sut.queueDepth).toBe(2);
    a();
    a(); // releasing twice gives back one seat
    await c;
    expect(order).toEqual(['c']);
    expect(sut.inFlight).toBe(2);
    expect(sut.queueDepth).toBe(1);
    void d;
  });

  it('refuses with 429 and a Retry-After once the queue is full', async () => {
    const sut = new Admission(1, 1, 1000);
    await sut.acquire();
    void sut.acquire().catch(() => undefined);
    const err = await sut.acquire().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AdmissionRejected);
    expect(err).toMatchObject({ reason: 'queue_full', status: 429, retryAfterS: 4 });
    expect(sut.rejected.queue_full).toBe(1);
  });

  it('gives up on a waiter after max_wait with 503', async () => {
    const sut = new Admission(1, 5, 30);
    await sut.acquire();
    await expect(sut.acquire()).rejects.toMatchObject({ reason: 'wait_timeout', status: 503 });
    expect(sut.queueDepth).toBe(0);
  });

  it('drops a waiter whose client went away, and reports idleness', async () => {
    const sut = new Admission(1, 5, 1000);
    const release = await sut.acquire();
    const ac = new AbortController();
    const waiting = sut.acquire(ac.signal);
    ac.abort();
    await expect(waiting).rejects.toThrow('client went away');
    expect(sut.queueDepth).toBe(0);
    const idle = sut.idle();
    release();
    await idle;
    expect(sut.inFlight).toBe(0);
  });

  it('close() refuses the queue and every newcomer until reopen(); seatless work counts toward idle()', async () => {
    const sut = new Admission(1, 4, 10_000);
    const release = await sut.acquire();
    const queued = sut.acquire().catch((e: AdmissionRejected) => e.reason);
    const done = sut.track();
    expect(sut.busy).toBe(2);
    let idle = false;
    const idling = sut.idle().then(() => (idle = true));
    sut.close('unloading');
    expect(await queued).toBe('closed');
    await expect(sut.acquire()).rejects.toMatchObject({ reason: 'closed', status: 503 });
    expect(() => sut.track()).toThrow(AdmissionRejected);
    release();
    await Promise.resolve();
    expect(idle).toBe(false); // the count is still running
    done();
    await idling;
    sut.reopen();
    expect(sut.mustWait()).toBe(false);
    (await sut.acquire())();
  });
});
