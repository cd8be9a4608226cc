/**
 * DeviceSupervisor against a scripted worker (the ProcessLauncher port): the environment each kind of
 * device's child gets, and a watchdog that does not mistake a model load for a hung generation.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ChildToParent, ParentToChild } from '@app/core';
import { DeviceSupervisor, type SupervisorHooks } from './device-supervisor';
import type { DeviceInfo } from '../devices/device-info';
import type { ProcessLauncher, WorkerProcess } from './process-launcher';

class ScriptedWorker implements WorkerProcess {
  readonly pid = 4242;
  readonly sent: ParentToChild[] = [];
  private onMsg: (m: ChildToParent) => void = () => undefined;
  private onEnd: (code: number | null, signal: NodeJS.Signals | null) => void = () => undefined;
  killed: NodeJS.Signals | undefined;
  constructor(readonly env: Record<string, string>) {}
  send(msg: ParentToChild): boolean {
    this.sent.push(msg);
    if (msg.type === 'shutdown') queueMicrotask(() => this.onEnd(0, null));
    return true;
  }
  onMessage(cb: (m: ChildToParent) => void): void {
    this.onMsg = cb;
  }
  onExit(cb: (code: number | null, signal: NodeJS.Signals | null) => void): void {
    this.onEnd = cb;
  }
  stderrTail(): string {
    return '';
  }
  kill(signal: NodeJS.Signals): void {
    this.killed = signal;
    this.onEnd(null, signal);
  }
  emit(msg: ChildToParent): void {
    this.onMsg(msg);
  }
}

const hooks: SupervisorHooks = { poisoned: vi.fn(), requestFailed: vi.fn(), modelStatus: vi.fn(), log: vi.fn() };
const cpu: DeviceInfo = { id: 'cpu', kind: 'cpu', index: null, name: 'cpu', vramTotalMb: 8000 };
const cuda: DeviceInfo = { id: 'cuda-0', kind: 'cuda', index: 0, name: 'H100', vramTotalMb: 80000 };
const supervisors: DeviceSupervisor[] = [];

async function started(device: DeviceInfo, stepTimeoutMs = 60_000) {
  const workers: ScriptedWorker[] = [];
  const launcher: ProcessLauncher = {
    launch: (_entry, env) => {
      const w = new ScriptedWorker(env);
      workers.push(w);
      return w;
    },
  };
  const sup = new DeviceSupervisor(device, {
    entry: 'worker.js',
    threads: 1,
    faults: false,
    stepTimeoutMs,
    readyTimeoutMs: 5000,
    launcher,
    hooks,
  });
  supervisors.push(sup);
  const start = sup.start();
  workers[0]!.emit({ type: 'ready', pid: 4242, backend: device.kind, deviceName: device.name, vramTotalMb: 1 });
  await start;
  return { sup, worker: workers[0]! };
}

afterEach(async () => {
  vi.useRealTimers();
  vi.unstubAllEnvs();
  await Promise.all(supervisors.splice(0).map((s) => s.stop().catch(() => undefined)));
});

describe('DeviceSupervisor', () => {
  it('gives a CPU worker one libuv pool thread and leaves a CUDA worker at the default', async () => {
    vi.stubEnv('UV_THREADPOOL_SIZE', '');
    const c = await started(cpu);
    expect(c.worker.env.UV_THREADPOOL_SIZE).toBe('1');
    expect(c.worker.env.CUDA_VISIBLE_DEVICES).toBe('');
    const g = await started(cuda);
    expect(g.worker.env.UV_THREADPOOL_SIZE).toBeUndefined();
    expect(g.worker.env.CUDA_VISIBLE_DEVICES).toBe('0');
  });

  it('keeps an operator’s UV_THREADPOOL_SIZE', async () => {
    vi.stubEnv('UV_THREADPOOL_SIZE', '3');
    const c = await started(cpu);
    expect(c.worker.env.UV_THREADPOOL_SIZE).toBeUndefined(); // inherited from the neuron's env as is
  });

  it('does not poison a device whose generation waits behind a model load, and still catches a real hang', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'setTimeout', 'Date'] });
    const { sup, worker } = await started(cpu, 1000);
    const gen = sup.generate(
      { type: 'generate', modelId: 'a', mode: 'completion', prompt: 'x', params: {} } as never,
      () => undefined,
    );
    const genFailed = gen.result.catch((e: Error) => e);
    const load = sup.load({ id: 'b', source: '/m/b.gguf', sequences: 1, minContext: 16384 });
    await vi.advanceTimersByTimeAsync(10_000); // a 10 s load; the generation's limit before its first token is 4 s
    expect(worker.killed).toBeUndefined();
    const loadMsg = worker.sent.find((m) => m.type === 'load')!;
    worker.emit({ type: 'done', reqId: loadMsg.reqId, result: { id: 'b', vramMb: 1 } } as ChildToParent);
    await load;
    await vi.advanceTimersByTimeAsync(4_500); // load finished: now silence is a hang
    expect(worker.killed).toBe('SIGKILL');
    expect(await genFailed).toBeInstanceOf(Error);
  });

  it('treats a restart that cannot fork as one more crash, never an unhandled rejection', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'setTimeout', 'Date'] });
    const unhandled: unknown[] = [];
    const onUnhandled = (e: unknown) => unhandled.push(e);
    process.on('unhandledRejection', onUnhandled);
    const { sup, worker } = await started(cpu);
    let launches = 0;
    (sup as unknown as { opts: { launcher: ProcessLauncher } }).opts.launcher = {
      launch: () => {
        launches++;
        throw new Error('spawn EAGAIN');
      },
    };
    worker.kill('SIGKILL'); // the worker dies; every restart after it fails to fork
    await vi.advanceTimersByTimeAsync(120_000);
    process.off('unhandledRejection', onUnhandled);
    expect(unhandled).toEqual([]);
    expect(launches).toBeGreaterThanOrEqual(4);
    expect(sup.state).toBe('failed'); // the crash-loop policy, not a dead neuron
    expect(sup.lastFault).toMatch(/could not start the worker: spawn EAGAIN/);
  });

  it('takes alive reports (tokens that make no text: tool calls, thoughts) as work, and silence after them as a hang', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'setTimeout', 'Date'] });
    const { sup, worker } = await started(cpu, 1000);
    const gen = sup.generate(
      { type: 'generate', modelId: 'a', mode: 'chat', messages: [], params: {} } as never,
      () => undefined,
    );
    const failed = gen.result.catch((e: Error) => e);
    const reqId = worker.sent.find((m) => m.type === 'generate')!.reqId;
    worker.emit({ type: 'chunk', reqId, text: 'Writing the file.', tokens: 4 });
    for (let t = 0; t < 30; t++) {
      await vi.advanceTimersByTimeAsync(500); // 15 s of a tool call's arguments, no text chunk at all
      worker.emit({ type: 'alive', reqId, tokens: 4 + 50 * t });
    }
    expect(worker.killed).toBeUndefined();
    await vi.advanceTimersByTimeAsync(1500); // then nothing at all
    expect(worker.killed).toBe('SIGKILL');
    expect(await failed).toBeInstanceOf(Error);
  });
});
