/**
 * Lets one waiter leave a shared promise (a cold load many requests wait for) when its own client
 * goes away, without cancelling the work for the others.
 */
import { CortexError } from '@app/core';

export function untilAborted<T>(work: Promise<T>, signal?: AbortSignal): Promise<T> {
  if (!signal) return work;
  if (signal.aborted) return Promise.reject(new CortexError('request_aborted', 'the client went away'));
  return new Promise<T>((resolve, reject) => {
    const leave = () => reject(new CortexError('request_aborted', 'the client went away while the model loaded'));
    signal.addEventListener('abort', leave, { once: true });
    work.then(
      (v) => {
        signal.removeEventListener('abort', leave);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', leave);
        reject(e as Error);
      },
    );
  });
}
