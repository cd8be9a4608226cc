/**
 * Supervises one device's worker child: ready handshake, request/reply correlation, a watchdog for
 * hung generations, and poisoning. A device fault (the child exits, a native error, a hang) kills the
 * child, fails its in-flight requests, restarts it with backoff (1 s doubling to 30 s) and reloads the
 * models it held; 5 crashes in 2 minutes mark the device failed. A request error leaves it running.
 */
import type {
  ChildToParent,
  GenerationEvent,
  GenerationResult,
  LoadResult,
  LoadSpec,
  ContextPlan,
  ContextRequest,
  ParentToChild,
  WorkerStats,
} from '@app/core';
import { randomBytes } from 'node:crypto';
import { DeviceFaultError, DeviceUnavailableError, WorkerRequestError } from './device-errors';
import type { DeviceInfo, DeviceState } from '../devices/device-info';
import type { WorkerProcess } from './process-launcher';
import type { SupervisorOptions } from './supervisor-options';
import { type Pending, feed, hungFor } from './pending-call';
import { isCrashLooping, recentCrashes, restartDelayMs } from './restart-policy';
import { workerEnv } from './worker-env';

type GenerateMsg = Omit<Extract<ParentToChild, { type: 'generate' }>, 'reqId'>;

export type { SupervisorHooks, SupervisorOptions } from './supervisor-options';

let nextReq = 0;
/** This neuron run's mark in request ids, so tool-call ids (derived from them) never repeat after a restart. */
const RUN = randomBytes(4).toString('hex');

export class DeviceSupervisor {
  state: DeviceState = 'stopped';
  restarts = 0;
  lastFault: string | null = null;
  private child?: WorkerProcess;
  private readonly pending = new Map<string, Pending>();
  private readonly resident = new Map<string, LoadSpec>();
  private crashes: number[] = [];
  private readyWaiters: Array<{ resolve(): void; reject(e: Error): void }> = [];
  private watchdog?: NodeJS.Timeout;
  private restartTimer?: NodeJS.Timeout;

  constructor(
    readonly device: DeviceInfo,
    private readonly opts: SupervisorOptions,
  ) {}

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get models(): string[] {
    return [...this.resident.keys()];
  }

  get busy(): number {
    return this.pending.size;
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
    const result = (await this.call({ type: 'load', spec }, { onProgress, loading: true })) as LoadResult;
    // A restarted worker reloads it with the context it got now, whatever memory is free then.
    this.resident.set(spec.id, { ...spec, contextSize: result.contextSize });
    return result;
  }

  async unload(id: string): Promise<void> {
    this.resident.delete(id);
    if (this.state !== 'ready') return; // a restarting worker simply won't reload it
    await this.call({ type: 'unload', id });
  }

  generate(msg: GenerateMsg, onEvent: (event: GenerationEvent) => void) {
    const reqId = this.newReqId();
    const result = this.call({ ...msg, reqId } as ParentToChild, { onEvent, watched: true }, reqId);
    return {
      result: result as Promise<GenerationResult>,
      abort: () => {
        if (this.pending.has(reqId)) this.child?.send({ type: 'abort', reqId });
      },
    };
  }

  tokenize(
    msg: Omit<Extract<ParentToChild, { type: 'tokenize' }>, 'reqId'>,
  ): Promise<{ count: number; prompt?: string }> {
    return this.call({ ...msg, reqId: this.newReqId() } as ParentToChild) as Promise<{
      count: number;
      prompt?: string;
    }>;
  }

  embed(modelId: string, inputs: string[]): Promise<{ vectors: number[][]; tokens: number }> {
    return this.call({ type: 'embed', modelId, inputs }) as Promise<{ vectors: number[][]; tokens: number }>;
  }

  estimate(path: string, req: ContextRequest): Promise<ContextPlan> {
    return this.call({ type: 'estimate', path, ...req }) as Promise<ContextPlan>;
  }

  stats(): Promise<WorkerStats> {
    return this.call({ type: 'stats' }) as Promise<WorkerStats>;
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

  private newReqId(): string {
    return `${this.device.id}-${RUN}-${++nextReq}`;
  }

  private call(
    msg: ParentToChild | (Omit<ParentToChild, 'reqId'> & { type: string }),
    extra: Partial<Pick<Pending, 'onEvent' | 'onProgress' | 'watched' | 'loading'>> = {},
    reqId = this.newReqId(),
    internal = false,
  ): Promise<unknown> {
    if ((!internal && this.state !== 'ready') || !this.child) {
      return Promise.reject(new DeviceUnavailableError(this.device.id, this.state));
    }
    const child = this.child;
    return new Promise((resolve, reject) => {
      this.pending.set(reqId, { resolve, reject, watched: false, lastActivity: Date.now(), sawChunk: false, ...extra });
      child.send({ ...msg, reqId } as ParentToChild);
    });
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
        await this.call({ type: 'load', spec }, { loading: true }, this.newReqId(), true);
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
    if (msg.type === 'ready') return;
    const p = this.pending.get(msg.reqId);
    if (!p) return;
    if (msg.type === 'done' || msg.type === 'stats') {
      this.pending.delete(msg.reqId);
      p.resolve(msg.type === 'done' ? msg.result : msg.stats);
    } else if (msg.type === 'error') {
      this.pending.delete(msg.reqId);
      if (msg.error.kind === 'native') {
        p.reject(new DeviceFaultError(this.device.id, 'native_error', msg.error.message));
        this.poison('native_error', msg.error.message);
        return;
      }
      this.opts.hooks.requestFailed(this.device.id, msg.error.kind, msg.error.message);
      p.reject(new WorkerRequestError(msg.error));
    } else feed(p, msg);
  }

  private checkHangs(): void {
    if (this.state !== 'ready' && this.state !== 'recovering') return;
    const silentS = hungFor(this.pending.values(), Date.now(), this.opts.stepTimeoutMs);
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
    const all = [...this.pending.values()];
    this.pending.clear();
    all.forEach((p) => p.reject(err));
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
