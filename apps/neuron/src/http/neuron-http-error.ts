/**
 * An HTTP failure in the OpenAI envelope `{error: {message, type, param, code}}`, and the mapping
 * from every internal failure (device faults, worker request errors, admission) to one.
 */
import { DeviceFaultError, DeviceUnavailableError, WorkerRequestError } from '../device-worker/device-errors';
import { AdmissionRejected } from '../inference/admission';
import { SourceError } from '../models/source';

export class NeuronHttpError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    message: string,
    readonly code: string | null = null,
    readonly param: string | null = null,
    readonly retryAfterS?: number,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
  }

  body(): { error: Record<string, unknown> } {
    return { error: { message: this.message, type: this.type, param: this.param, code: this.code, ...this.extra } };
  }
}

export const badRequest = (message: string, param: string | null = null, code: string | null = null) =>
  new NeuronHttpError(400, 'invalid_request_error', message, code, param);

export const modelNotFound = (id: string) =>
  new NeuronHttpError(
    404,
    'invalid_request_error',
    `model '${id}' is not loaded on this neuron`,
    'model_not_found',
    'model',
  );

export function toHttpError(err: unknown): NeuronHttpError {
  if (err instanceof NeuronHttpError) return err;
  if (err instanceof AdmissionRejected) {
    const type = err.status === 429 ? 'rate_limit_error' : 'api_error';
    const code = err.reason === 'closed' ? 'service_unavailable' : 'rate_limit_exceeded';
    return new NeuronHttpError(err.status, type, err.message, code, null, err.retryAfterS);
  }
  if (err instanceof DeviceFaultError) {
    return new NeuronHttpError(
      503,
      'api_error',
      `${err.message}; the device is restarting, retry shortly`,
      'device_fault',
      null,
      2,
    );
  }
  if (err instanceof DeviceUnavailableError) {
    const failed = err.state === 'failed';
    return new NeuronHttpError(
      503,
      'api_error',
      err.message,
      failed ? 'device_failed' : 'device_recovering',
      null,
      failed ? undefined : 2,
    );
  }
  if (err instanceof SourceError) return badRequest(err.message, 'source', 'invalid_source');
  if (err instanceof WorkerRequestError) {
    const f = err.failure;
    switch (f.kind) {
      case 'context_length':
      case 'bad_request':
        return badRequest(f.message, f.param ?? null, f.code ?? null);
      case 'not_found':
        return new NeuronHttpError(404, 'invalid_request_error', f.message, 'model_not_found', 'model');
      case 'aborted':
        return new NeuronHttpError(499, 'api_error', f.message, 'client_closed_request');
      default:
        return new NeuronHttpError(
          500,
          'api_error',
          `request failed in the model worker: ${f.message}`,
          'worker_error',
        );
    }
  }
  const message = err instanceof Error ? err.message : String(err);
  return new NeuronHttpError(500, 'api_error', message, 'internal_error');
}
