/**
 * The progress of a model load while `cortex load` waits: polls the fleet and draws a cli-progress
 * bar from the neuron's load_progress (download and load), or a spinner while no figure is known.
 * Drawn on stderr and only on a terminal, so scripts reading stdout get the result alone.
 */
import { SingleBar } from 'cli-progress';
import type { GatewayClient, Target } from '../support/gateway-client';
import type { Fleet } from './status.command';

const SPINNER = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
const POLL_MS = 500;

export function loadProgress(client: GatewayClient, target: Target, model: string, done: Promise<unknown>) {
  if (!process.stderr.isTTY) return null;
  const bar = new SingleBar({
    stream: process.stderr,
    format: `${model} {bar} {percentage}% {phase}`,
    hideCursor: true,
    clearOnComplete: false,
  });
  let started = false;
  let tick = 0;
  let finished = false;
  void done.catch(() => undefined).finally(() => (finished = true));
  const timer = setInterval(() => {
    void client
      .call<Fleet>(target, 'GET', '/admin/fleet')
      .then((fleet) => {
        if (finished) return;
        const m = fleet.neurons.flatMap((n) => n.models).find((x) => x.id === model && x.status === 'loading');
        if (m?.load_progress === undefined) {
          process.stderr.write(`\\r${SPINNER[tick++ % SPINNER.length]} ${model} waiting for placement…`);
          return;
        }
        if (!started) {
          process.stderr.write('\\r\\x1b[K');
          bar.start(100, 0, { phase: 'loading' });
          started = true;
        }
        bar.update(Math.round(m.load_progress * 100), { phase: 'loading' });
      })
      .catch(() => undefined);
  }, POLL_MS);
  return {
    stop(): void {
      clearInterval(timer);
      if (started) {
        bar.update(100, { phase: 'done' });
        bar.stop();
      } else process.stderr.write('\\r\\x1b[K');
    },
  };
}
