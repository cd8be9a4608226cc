/**
 * Failures a device supervisor hands back to callers: a device fault (the device was poisoned and
 * is restarting), a device that cannot take work right now, and a request error from the worker
 * that left the device healthy.
 */
import type { WorkerError } from '@app/core';

export class DeviceFaultError extends Error {
  constructor(
    readonly deviceId: string,
    readonly reason: string,
    detail: string,
  ) {
    super(`device ${deviceId} poisoned (${reason}): ${detail}`);
  }
}

export class DeviceUnavailableError extends Error {
  constructor(
    readonly deviceId: string,
    readonly state: string,
  ) {
    super(
      state === 'failed'
        ? `device ${deviceId} has failed (crash loop); it serves nothing until the neuron restarts`
        : `device ${deviceId} is ${state}; retry shortly`,
    );
  }
}

export class WorkerRequestError extends Error {
  constructor(readonly failure: WorkerError) {
    super(failure.message);
  }
}
