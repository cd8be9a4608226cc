/**
 * Request and reply with one worker child over IPC: each call gets a request id, waits for its
 * `done` (typed by the request it answers), `error` or `stats`, and is fed progress, chunks and
 * calls meanwhile. It knows nothing of restarts: the supervisor says which child is current and
 * fails every pending call when that child goes.
 */
import { randomBytes } from 'node:crypto';
import type {
  ChildToParent,
  ContextPlan,
  GenerationResult,
  LoadResult,
  ParentToChild,
  WorkerError,
  WorkerStats,
} from '@app/core';
import { type Pending, feed, hungFor } from './pending-call';
import type { WorkerProcess } from './process-launcher';

/** What each request answers. */
export interface Replies {
  load: LoadResult;
  unload: { id: string };
  generate: GenerationResult;
  tokenize: { count: number; prompt?: string };
  embed: { vectors: number[][]; tokens: number };
  estimate: ContextPlan;
  stats: WorkerStats;
}

type Request = Exclude<ParentToChild, { type: 'abort' } | { type: 'shutdown' }>;
/** A request as callers write it: without the id the RPC gives it. */
export type Call<K extends keyof Replies> = Omit<Extract<Request, { type: K }>, 'reqId'>;
export type CallExtra = Partial<Pick<Pending, 'onEvent' | 'onProgress' | 'watched' | 'loading'>>;

let nextReq = 0;
/** This neuron run's mark in request ids, so tool-call ids (derived from them) never repeat after a restart. */
const RUN = randomBytes(4).toString('hex');

export class WorkerRpc {
  private readonly pending = new Map<string, Pending>();

  constructor(private readonly deviceId: string) {}

  get size(): number {
    return this.pending.size;
  }

  has(reqId: string): boolean {
    return this.pending.has(reqId);
  }

  newReqId(): string {
    return `${this.deviceId}-${RUN}-${++nextReq}`;
  }

  /** Sends `msg` to `child`; the promise settles with its typed reply. */
  call<K extends keyof Replies>(
    child: WorkerProcess,
    msg: Call<K> & { type: K },
    extra: CallExtra = {},
    reqId = this.newReqId(),
  ): Promise<Replies[K]> {
    return new Promise((resolve, reject) => {
      const pending = { watched: false, lastActivity: Date.now(), sawChunk: false, ...extra };
      this.pending.set(reqId, { resolve: resolve as (v: unknown) => void, reject, ...pending });
      child.send({ ...msg, reqId } as ParentToChild);
    });
  }

  /**
   * A message from the current child. An `error` is handed to `onError`, which says what the call
   * fails with (a native error also poisons the device there).
   */
  onMessage(msg: ChildToParent, onError: (error: WorkerError) => Error): void {
    if (msg.type === 'ready') return;
    const p = this.pending.get(msg.reqId);
    if (!p) return;
    if (msg.type === 'done' || msg.type === 'stats') {
      this.pending.delete(msg.reqId);
      p.resolve(msg.type === 'done' ? msg.result : msg.stats);
    } else if (msg.type === 'error') {
      this.pending.delete(msg.reqId);
      p.reject(onError(msg.error));
    } else feed(p, msg);
  }

  /** Seconds the first hung watched call has been silent, or null. */
  hungFor(now: number, stepTimeoutMs: number): number | null {
    return hungFor(this.pending.values(), now, stepTimeoutMs);
  }

  /** Every pending call fails with `err` (the child is gone). */
  failAll(err: Error): void {
    const all = [...this.pending.values()];
    this.pending.clear();
    all.forEach((p) => p.reject(err));
  }
}
