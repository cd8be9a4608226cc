/** The environment a device worker child starts with: its config, the GPUs it may see, its libuv pool. */
import { type WorkerConfig, WORKER_CONFIG_ENV } from '@app/core';
import type { DeviceInfo } from '../devices/device-info';

export function workerEnv(
  device: DeviceInfo,
  opts: { threads: number; faults: boolean; sessions?: WorkerConfig['sessions'] },
): Record<string, string> {
  const cfg: WorkerConfig = {
    deviceId: device.id,
    kind: device.kind,
    threads: opts.threads,
    faults: opts.faults,
    ...(opts.sessions ? { sessions: opts.sessions } : {}),
  };
  const env: Record<string, string> = { [WORKER_CONFIG_ENV]: JSON.stringify(cfg) };
  // A group sees all its GPUs (node-llama-cpp splits layers over them); a CPU device sees none.
  env.CUDA_VISIBLE_DEVICES = device.indexes
    ? device.indexes.join(',')
    : device.index === null
      ? ''
      : String(device.index);
  // On a CPU device every decode and sample runs on libuv's pool; with one pool thread they stay on
  // one OS thread instead of hopping between four, which measured ~5% faster batch-1 decode and the
  // same 8-stream aggregate (docs/engine-throughput.md). An operator's UV_THREADPOOL_SIZE wins.
  if (device.kind === 'cpu' && !process.env.UV_THREADPOOL_SIZE) env.UV_THREADPOOL_SIZE = '1';
  return env;
}
