/**
 * The host tier of KV states: when a session's sequence must serve another session, its state (KV
 * cells and tokens, node-llama-cpp's sequence state file) is saved here, and loaded back when the
 * session returns — milliseconds instead of seconds of prefill. Files live in a private temporary
 * directory (host RAM where /tmp is tmpfs, else the page cache), bounded by bytes, least recently
 * used first, and removed with the model or the worker.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LlamaContextSequence } from './engine-types';

export interface SavedState {
  model: string;
  session: string;
  path: string;
  tokens: readonly number[];
  bytes: number;
}

export class StateTier {
  private dir: string | null = null;
  /** Map order is use order. */
  private readonly entries = new Map<string, SavedState>();
  private bytes = 0;
  private seq = 0;

  constructor(private readonly maxBytes: number) {}

  get enabled(): boolean {
    return this.maxBytes > 0;
  }

  /** Saved states of one model: count, bytes and session keys. */
  of(model: string): { entries: number; bytes: number; sessions: string[] } {
    const mine = [...this.entries.values()].filter((e) => e.model === model);
    return { entries: mine.length, bytes: mine.reduce((n, e) => n + e.bytes, 0), sessions: mine.map((e) => e.session) };
  }

  get(model: string, session: string): SavedState | undefined {
    const key = `${model}\u0000${session}`;
    const e = this.entries.get(key);
    if (e) {
      this.entries.delete(key);
      this.entries.set(key, e);
    }
    return e;
  }

  /** Saves what `seq` holds as `session`'s state, replacing an older one; false when it does not fit. */
  async save(model: string, session: string, seq: LlamaContextSequence): Promise<boolean> {
    if (!this.enabled) return false;
    this.dir ??= mkdtempSync(join(tmpdir(), 'cortex-kv-'));
    const path = join(this.dir, `${++this.seq}.kv`);
    const tokens = [...seq.contextTokens] as number[];
    const { fileSize } = await seq.saveStateToFile(path);
    await this.drop(model, session);
    if (fileSize > this.maxBytes) {
      await unlink(path).catch(() => undefined);
      return false;
    }
    this.entries.set(`${model}\u0000${session}`, { model, session, path, tokens, bytes: fileSize });
    this.bytes += fileSize;
    for (const [key, e] of this.entries) {
      if (this.bytes <= this.maxBytes) break;
      this.entries.delete(key);
      this.bytes -= e.bytes;
      await unlink(e.path).catch(() => undefined);
    }
    return true;
  }

  async restore(state: SavedState, seq: LlamaContextSequence): Promise<void> {
    await seq.loadStateFromFile(state.path, { acceptRisk: true });
  }

  async drop(model: string, session: string): Promise<void> {
    const key = `${model}\u0000${session}`;
    const e = this.entries.get(key);
    if (!e) return;
    this.entries.delete(key);
    this.bytes -= e.bytes;
    await unlink(e.path).catch(() => undefined);
  }

  async dropModel(model: string): Promise<void> {
    for (const e of [...this.entries.values()]) if (e.model === model) await this.drop(model, e.session);
  }

  dispose(): void {
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
    this.dir = null;
    this.entries.clear();
    this.bytes = 0;
  }
}
