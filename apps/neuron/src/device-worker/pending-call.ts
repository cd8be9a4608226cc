/**
 * One call in flight to a device worker, and the two questions the supervisor asks of them: what a
 * progress message from the worker means for its call, and whether any watched call has gone silent
 * for longer than step_timeout_s (a hung device).
 */
import type { ChildToParent, GenerationEvent } from '@app/core';

export interface Pending {
  resolve(value: unknown): void;
  reject(err: Error): void;
  onEvent?(event: GenerationEvent): void;
  onProgress?(p: number): void;
  watched: boolean;
  /** A model load: on a one-thread pool it holds up generation, which must not read as a hang. */
  loading?: boolean;
  lastActivity: number;
  sawChunk: boolean;
}

/** Applies a non-final message (a chunk, a call, a sign of life, load progress) to its call. */
export function feed(p: Pending, msg: ChildToParent): void {
  p.lastActivity = Date.now();
  if (msg.type === 'chunk') {
    p.sawChunk = true;
    p.onEvent?.({ kind: msg.kind ?? 'text', text: msg.text });
  } else if (msg.type === 'call') {
    p.sawChunk = true;
    p.onEvent?.({ kind: 'call', index: msg.index, id: msg.id, name: msg.name, args: msg.args });
  } else if (msg.type === 'alive') {
    // Tokens of any kind (text, thought, tool call) or prompt batches: work, not a hang. Once
    // tokens are generated, silence longer than step_timeout_s is a hang.
    if (msg.tokens > 0) p.sawChunk = true;
  } else if (msg.type === 'progress') p.onProgress?.(msg.progress);
}

/**
 * Seconds the first hung watched call has been silent, or null: silence past `stepTimeoutMs` once
 * tokens flow, four times that before the first. Calls queued behind a model load are not hung.
 */
export function hungFor(calls: Iterable<Pending>, now: number, stepTimeoutMs: number): number | null {
  const all = [...calls];
  const loading = all.some((p) => p.loading);
  for (const p of all) {
    if (!p.watched) continue;
    if (loading) {
      p.lastActivity = now; // queued behind a model load on the worker's pool, not hung
      continue;
    }
    const limit = p.sawChunk ? stepTimeoutMs : stepTimeoutMs * 4;
    if (now - p.lastActivity > limit) return Math.round((now - p.lastActivity) / 1000);
  }
  return null;
}
