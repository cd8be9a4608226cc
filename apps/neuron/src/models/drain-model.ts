/**
 * An unload of a model with requests in flight: refused (409 model_busy), or with `drain` it admits
 * nothing new and waits up to drain_timeout_s for them to finish, reopening if they do not.
 */
import { CortexError } from '@app/core';
import type { ModelRecord } from './model-record';

export async function drainOrRefuse(r: ModelRecord, drain: boolean, timeoutS: number): Promise<void> {
  if (!drain) {
    throw new CortexError(
      'model_busy',
      `model '${r.id}' has ${r.admission.busy} request(s) in flight; pass force or drain`,
      {
        param: 'id',
      },
    );
  }
  r.status = 'unloading';
  r.admission.close(`model '${r.id}' is being unloaded`);
  const drained = await Promise.race([
    r.admission.idle().then(() => true),
    new Promise<boolean>((res) => setTimeout(() => res(false), timeoutS * 1000).unref()),
  ]);
  if (drained) return;
  r.status = 'loaded';
  r.admission.reopen();
  throw new CortexError('model_busy', `model '${r.id}' still busy after ${timeoutS} s of draining`, {
    param: 'id',
  });
}
