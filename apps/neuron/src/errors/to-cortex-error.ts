/**
 * Every internal failure of the neuron (device faults, worker request errors, admission, bad
 * sources, framework errors) as the CortexError the API answers with.
 */
import { CortexError, frameworkError, isErrorCode } from '@app/core';
import { DeviceFaultError, DeviceUnavailableError, WorkerRequestError } from '../device-worker/device-errors';
import { AdmissionRejected } from '../admission/admission';

export const modelNotFound = (id: string) =>
  new CortexError('model_not_found', `model '${id}' is not loaded on this neuron`, { param: 'model' });

function fromWorker(err: WorkerRequestError): CortexError {
  const f = err.failure;
  switch (f.kind) {
    case 'context_length':
    case 'bad_request':
      return new CortexError(isErrorCode(f.code) ? f.code : 'invalid_body', f.message, {
        param: f.param ?? null,
      });
    case 'not_found':
      return new CortexError('model_not_found', f.message, { param: 'model' });
    case 'aborted':
      return new CortexError('request_aborted', f.message);
    default:
      return new CortexError('worker_error', `request failed in the model worker: ${f.message}`);
  }
}

export function toCortexError(err: unknown): CortexError {
  if (err instanceof CortexError) return err;
  if (err instanceof AdmissionRejected) {
    const code =
      err.reason === 'closed'
        ? 'service_unavailable'
        : err.reason === 'wait_timeout'
          ? 'queue_timeout'
          : 'rate_limit_exceeded';
    return new CortexError(code, err.message, { retryAfterS: err.retryAfterS });
  }
  if (err instanceof DeviceFaultError) {
    return new CortexError('device_fault', `${err.message}; the device is restarting, retry shortly`, {
      retryAfterS: 2,
    });
  }
  if (err instanceof DeviceUnavailableError) {
    const failed = err.state === 'failed';
    return new CortexError(failed ? 'device_failed' : 'device_recovering', err.message, {
      retryAfterS: failed ? undefined : 2,
    });
  }
  if (err instanceof WorkerRequestError) return fromWorker(err);
  return frameworkError(err) ?? new CortexError('internal_error', err instanceof Error ? err.message : String(err));
}
