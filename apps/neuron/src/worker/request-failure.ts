/** A request's failure with the kind chosen where it happened, and the kind of any other error a request throws. */
import type { WorkerError } from '@app/core';
import { isNativeFault } from './classify-error';

export class RequestFailure extends Error {
  constructor(readonly failure: WorkerError) {
    super(failure.message);
  }
}

/** The failure to report for an error thrown while serving a request. */
export function toWorkerError(err: unknown): WorkerError {
  if (err instanceof RequestFailure) return err.failure;
  const message = err instanceof Error ? err.message : String(err);
  return { kind: isNativeFault(err) ? 'native' : 'js', message };
}
