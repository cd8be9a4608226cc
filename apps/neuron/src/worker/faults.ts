/**
 * Fault injection for tests, honoured only when the neuron runs with CORTEX_NEURON_FAULTS=1:
 * crash (SIGKILL itself), a JavaScript error in the request path, a hang (no more tokens, ever) and a
 * native-looking evaluation error.
 */
import type { FaultKind } from '@app/core';

export async function injectFault(kind: FaultKind, emitOneToken: () => void): Promise<void> {
  switch (kind) {
    case 'js_error':
      throw new TypeError("injected JavaScript error: cannot read properties of undefined (reading 'content')");
    case 'native':
      throw new Error('ggml_cuda_compute_forward: CUDA error: an illegal memory access was encountered (injected)');
    case 'crash':
      emitOneToken();
      await new Promise((r) => setTimeout(r, 50));
      process.kill(process.pid, 'SIGKILL');
      return new Promise(() => undefined);
    case 'hang':
      emitOneToken();
      return new Promise(() => undefined);
    case 'silent':
      emitOneToken(); // the generation then runs with its text chunks withheld (WorkerEngine)
      return;
  }
}
