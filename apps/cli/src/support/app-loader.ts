/**
 * Loads a built app (gateway or neuron) at run time. The CLI never imports an app's code: it
 * requires the app's compiled entry next to its own in dist/ and calls it through @app/core's
 * AppEntry contract.
 */
import { join } from 'node:path';
import type { AppEntry } from '@app/core';

const ENTRIES = {
  neuron: { file: join(__dirname, '..', '..', '..', 'neuron', 'src', 'main.js'), fn: 'runNeuron' },
  gateway: { file: join(__dirname, '..', '..', '..', 'gateway', 'src', 'main.js'), fn: 'runGateway' },
} as const;

export function loadApp(name: keyof typeof ENTRIES): AppEntry {
  const { file, fn } = ENTRIES[name];
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const mod = require(file) as Record<string, AppEntry['run']>;
  return { run: mod[fn]! };
}
