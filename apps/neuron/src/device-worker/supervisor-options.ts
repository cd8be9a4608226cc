/** What a DeviceSupervisor is given: how to start its worker, its limits, and whom to tell what happens. */
import type { WorkerConfig } from '@app/core';
import type { ProcessLauncher } from './process-launcher';

export interface SupervisorHooks {
  poisoned(deviceId: string, reason: string, detail: string): void;
  requestFailed(deviceId: string, reason: string, detail: string): void;
  modelStatus(deviceId: string, modelId: string, status: 'loaded' | 'recovering' | 'failed', detail?: string): void;
  log(message: string): void;
}

export interface SupervisorOptions {
  entry: string;
  threads: number;
  faults: boolean;
  /** Host-RAM tier of KV states (WorkerConfig.sessions). */
  sessions?: WorkerConfig['sessions'];
  stepTimeoutMs: number;
  readyTimeoutMs: number;
  launcher: ProcessLauncher;
  hooks: SupervisorHooks;
}
