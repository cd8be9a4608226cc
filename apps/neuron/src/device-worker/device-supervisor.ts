/**
 * Supervises one device's worker child: ready handshake, request/reply correlation, a watchdog for
 * hung generations, and poisoning. A device fault (the child exits, a native error, a hang) kills the
 * child, fails its in-flight requests, restarts it with backoff (1 s doubling to 30 s) and reloads the
 * models it held; 5 crashes in 2 minutes mark the device failed. A request error leaves it running.
 */
import type {
  ChildToParent,
  ContextPlan,
  ContextRequest,
  GenerationEvent,
  LoadResult,
  LoadSpec,
  WorkerError,
  WorkerStats,
} from '@app/core';
import { DeviceFaultError, DeviceUnavailableError, WorkerRequestError } from './device-errors';
import type { DeviceInfo, DeviceState } from '../devices/device-info';
import type { WorkerProcess } from './process-launcher';
import type { SupervisorOptions } from './supervisor-options';
import { isCrashLooping, recentCrashes, restartDelayMs } from './restart-policy';
import { type Call, type CallExtra, type Replies, WorkerRpc } from './worker-rpc';
import { workerEnv } from './worker-env';

export type { SupervisorHooks, SupervisorOptions } from './supervisor-options';

export class DeviceSupervisor {
  state: DeviceState = 'stopped';
  restarts = 0;
  lastFault: string | null = null;
  private child?: WorkerProcess;
  private readonly rpc: WorkerRpc;
  private readonly resident = new Map<string, LoadSpec>();
  private crashes: number[] = [];
  private readyWaiters: Array<{ resolve(): void; reject(e: Error): void }> = [];
  private watchdog?: NodeJS.Timeout;
  private restartTimer?: NodeJS.Timeout;

  constructor(
    readonly device: DeviceInfo,
    private readonly opts: SupervisorOptions,
  ) {
    this.rpc = new WorkerRpc(device.id);
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get models(): string[] {
    return [...this.resident.keys()];
  }

  get busy(): number {
    return this.rpc.size;
  }

  async start(): Promise<void> {
    this.state = 'starting';
    this.watchdog ??= setInterval(() => this.checkHangs(), 250).unref();
    await this.respawn();
  }

  /** Resolves once the device can take work (now, or after a running restart). */
  whenReady(): Promise<void> {
    if (this.state === 'ready') return Promise.resolve();
    if (this.state === 'failed' || this.state === 'stopped') {
      return Promise.reject(new DeviceUnavailableError(this.device.id, this.state));
    }
    return new Promise((resolve, reject) => this.readyWaiters.push({ resolve, reject }));
  }

  async load(spec: LoadSpec, onProgress?: (p: number) => void): Promise<LoadResult> {
    await this.whenReady();
    const result = await this.call({ type: 'load', spec }, { onProgress, loading: true });
    // A restarted worker reloads it with the context it got now, whatever memory is free then.
    this.resident.set(spec.id, { ...spec, contextSize: result.contextSize });
    return result;
  }

  async unload(id: string): Promise<void> {
    this.resident.delete(id);
    if (this.state !== 'ready') return; // a restarting worker simply won't reload it
    await this.call({ type: 'unload', id });
  }

  generate(msg: Call<'generate'>, onEvent: (event: GenerationEvent) => void) {
    const reqId = this.rpc.newReqId();
    const result = this.call(msg, { onEvent, watched: true }, reqId);
    return {
      result,
      abort: () => {
        if (this.rpc.has(reqId)) this.child?.send({ type: 'abort', reqId });
      },
    };
  }

  tokenize(msg: Call<'tokenize'>): Promise<Replies['tokenize']> {
    return this.call(msg);
  }

  embed(modelId: string, inputs: string[]): Promise<Replies['embed']> {
    return this.call({ type: 'embed', modelId, inputs });
  }

  estimate(path: string, req: ContextRequest): Promise<ContextPlan> {
    return this.call({ type: 'estimate', path, ...req });
  }

  stats(): Promise<WorkerStats> {
    return this.call({ type: 'stats' });
  }

  /** A planned restart (defragmentation): the worker restarts and reloads its models; not a crash. */
  async recycle(): Promise<void> {
    if (this.state !== 'ready') throw new DeviceUnavailableError(this.device.id, this.state);
    this.opts.hooks.log(`device ${this.device.id}: recycling worker (planned restart, models reload)`);
    this.markRecovering();
    this.detach()?.kill('SIGTERM');
    this.failPending(new DeviceUnavailableError(this.device.id, 'recycling'));
    await this.respawn();
  }

  async stop(): Promise<void> {
    this.state = 'stopped';
    clearInterval(this.watchdog);
    this.watchdog = undefined; // a device a group gave back starts again
    clearTimeout(this.restartTimer);
    this.rejectWaiters(new DeviceUnavailableError(this.device.id, 'stopped'));
    const child = this.detach();
    this.failPending(new DeviceUnavailableError(this.device.id, 'stopped'));
    if (!child) return;
    const exited = new Promise<void>((r) => child.onExit(() => r()));
    child.send({ type: 'shutdown' });
    const timeout = (ms: number) => new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), ms).unref());
    if ((await Promise.race([exited, timeout(5000)])) === 'timeout') {
      child.kill('SIGTERM');
      if ((await Promise.race([exited, timeout(2000)])) === 'timeout') child.kill('SIGKILL');
    }
  }

  private call<K extends keyof Replies>(
    msg: Call<K> & { type: K },
    extra: CallExtra = {},
    reqId?: string,
    internal = false,
  ): Promise<Replies[K]> {
    if ((!internal && this.state !== 'ready') || !this.child) {
      return Promise.reject(new DeviceUnavailableError(this.device.id, this.state));
    }
    return this.rpc.call<K>(this.child, msg, extra, reqId);
  }

  private async spawn(): Promise<void> {
    const env = workerEnv(this.device, this.opts);
    const child = this.opts.launcher.launch(this.opts.entry, env);
    this.child = child;
    const ready = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no ready handshake')), this.opts.readyTimeoutMs);
      child.onMessage((msg) => {
        if (msg.type === 'ready') {
          clearTimeout(timer);
          resolve();
        } else if (this.child === child) this.onMessage(msg);
      });
      child.onExit((code, signal) => {
        clearTimeout(timer);
        reject(new Error(`exited before ready (code ${code}, signal ${signal})`));
        if (this.child === child) this.poison('crash', `worker exited (code ${code}, signal ${signal})${tail(child)}`);
      });
    });
    try {
      await ready;
    } catch (err) {
      if (this.child === child) this.poison('start_failed', `${(err as Error).message}${tail(child)}`);
      return;
    }
    if (this.child !== child) return;
    await this.reloadResident(child);
  }

  private async reloadResident(child: WorkerProcess): Promise<void> {
    for (const spec of [...this.resident.values()]) {
      try {
        await this.call({ type: 'load', spec }, { loading: true }, undefined, true);
        this.opts.hooks.modelStatus(this.device.id, spec.id, 'loaded');
      } catch (err) {
        if (this.child !== child) return;
        this.resident.delete(spec.id);
        this.opts.hooks.modelStatus(this.device.id, spec.id, 'failed', (err as Error).message);
      }
    }
    if (this.child !== child) return;
    this.state = 'ready';
    const waiters = this.readyWaiters;
    this.readyWaiters = [];
    waiters.forEach((w) => w.resolve());
  }

  private onMessage(msg: ChildToParent): void {
    this.rpc.onMessage(msg, (error: WorkerError) => {
      if (error.kind === 'native') {
        this.poison('native_error', error.message);
        return new DeviceFaultError(this.device.id, 'native_error', error.message);
      }
      this.opts.hooks.requestFailed(this.device.id, error.kind, error.message);
      return new WorkerRequestError(error);
    });
  }

  private checkHangs(): void {
    if (this.state !== 'ready' && this.state !== 'recovering') return;
    const silentS = this.rpc.hungFor(Date.now(), this.opts.stepTimeoutMs);
    if (silentS !== null) this.poison('hang', `no token for ${silentS} s (step_timeout_s)`);
  }

  private poison(reason: string, detail: string): void {
    if (this.state === 'stopped' || this.state === 'failed') return;
    this.lastFault = `${reason}: ${detail}`;
    this.restarts++;
    this.opts.hooks.poisoned(this.device.id, reason, detail);
    this.detach()?.kill('SIGKILL');
    this.failPending(new DeviceFaultError(this.device.id, reason, detail));
    this.markRecovering();
    const now = Date.now();
    this.crashes = [...recentCrashes(this.crashes, now), now];
    if (isCrashLooping(this.crashes, now)) {
      this.state = 'failed';
      this.opts.hooks.log(
        `device ${this.device.id} FAILED: ${this.crashes.length} crashes in 2 minutes; not restarting`,
      );
      for (const id of this.resident.keys()) this.opts.hooks.modelStatus(this.device.id, id, 'failed', this.lastFault);
      this.rejectWaiters(new DeviceUnavailableError(this.device.id, 'failed'));
      return;
    }
    const delay = restartDelayMs(this.crashes.length);
    this.opts.hooks.log(`device ${this.device.id}: restarting worker in ${delay} ms`);
    this.restartTimer = setTimeout(() => void this.respawn(), delay);
  }

  /** A restart that itself fails (fork refused, out of processes) is one more crash, never an unhandled rejection. */
  private async respawn(): Promise<void> {
    try {
      await this.spawn();
    } catch (err) {
      this.detach();
      this.poison('start_failed', `could not start the worker: ${(err as Error).message}`);
    }
  }

  private markRecovering(): void {
    this.state = 'recovering';
    for (const id of this.resident.keys()) this.opts.hooks.modelStatus(this.device.id, id, 'recovering');
  }

  private detach(): WorkerProcess | undefined {
    const child = this.child;
    this.child = undefined;
    return child;
  }

  private failPending(err: Error): void {
    this.rpc.failAll(err);
  }

  private rejectWaiters(err: Error): void {
    const waiters = this.readyWaiters;
    this.readyWaiters = [];
    waiters.forEach((w) => w.reject(err));
  }
}

function tail(child: WorkerProcess): string {
  const t = child.stderrTail().trim();
  return t ? `; stderr: ${t.split('\n').slice(-3).join(' | ')}` : '';
}
