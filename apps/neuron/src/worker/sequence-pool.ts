/**
 * A model's KV sequences, chosen per request by prefix: the free sequence whose tokens share the
 * longest prefix with the new prompt serves it (node-llama-cpp then evaluates only the rest), less
 * what it would destroy of another session's cache; ties go to the request's own session and then
 * to the least recently used. A sequence about to be
 * overwritten that holds another session's long prefix is saved to the host tier first, and a
 * session's saved state is loaded back when it beats what any sequence holds.
 */
import type { KvSnapshot } from '@app/core';
import type { LlamaContextSequence } from './engine-types';
import type { StateTier } from './state-tier';

interface Slot {
  seq: LlamaContextSequence;
  busy: boolean;
  usedAt: number;
  session?: string;
}

export interface Lease {
  seq: LlamaContextSequence;
  /** Prompt tokens the sequence already holds (not evaluated again). */
  cached: number;
  source: 'sequence' | 'tier' | 'none';
}

/** A restored state must bring back at least this many more tokens than the sequence holds. */
const RESTORE_GAIN = 32;

export function commonPrefix(a: readonly number[], b: readonly number[]): number {
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a[i] === b[i]) i++;
  return i;
}

export class SequencePool {
  private readonly slots: Slot[];
  private clock = 0;
  private readonly counts = {
    sequenceHits: 0,
    tierHits: 0,
    misses: 0,
    saves: 0,
    restoreMs: 0,
    restoredTokens: 0,
    prefillMs: 0,
    prefilledTokens: 0,
  };

  constructor(
    private readonly model: string,
    sequences: LlamaContextSequence[],
    private readonly tier: StateTier,
    private readonly minSavedTokens: number,
  ) {
    this.slots = sequences.map((seq) => ({ seq, busy: false, usedAt: 0 }));
  }

  get size(): number {
    return this.slots.length;
  }

  /** A free sequence for `prompt` (its tokens as the template renders them). */
  async acquire(prompt: readonly number[] = [], session?: string): Promise<Lease> {
    const slot = this.pick(prompt, session);
    // The neuron admits at most as many requests as there are seats, so this is a bug, not load.
    if (!slot) throw new Error(`model ${this.model}: no free sequence (admission out of sync)`);
    slot.busy = true;
    try {
      return await this.prepare(slot, prompt, session);
    } catch (err) {
      slot.busy = false;
      throw err;
    }
  }

  release(seq: LlamaContextSequence, session?: string): void {
    const slot = this.slots.find((s) => s.seq === seq);
    if (!slot) return;
    slot.busy = false;
    slot.usedAt = ++this.clock;
    slot.session = session;
  }

  /** Records a prefill (prompt evaluation) for the restore-vs-prefill figures. */
  prefilled(tokens: number, ms: number): void {
    if (tokens <= 0) return;
    this.counts.prefilledTokens += tokens;
    this.counts.prefillMs += ms;
  }

  snapshot(): KvSnapshot {
    const saved = this.tier.of(this.model);
    const held = this.slots.flatMap((s) => (s.session && s.seq.contextTokens.length ? [s.session] : []));
    return {
      warm: [...new Set([...held, ...saved.sessions])],
      ...this.counts,
      restoreMs: Math.round(this.counts.restoreMs * 10) / 10,
      prefillMs: Math.round(this.counts.prefillMs),
      tierEntries: saved.entries,
      tierBytes: saved.bytes,
    };
  }

  /**
   * The free slot that saves the most prefill: the prefix it shares with the prompt, less what it
   * would destroy of another session's cache. Ties go to the request's own session, then to the
   * least recently used.
   */
  private pick(prompt: readonly number[], session?: string): Slot | undefined {
    let best: Slot | undefined;
    let bestScore = -Infinity;
    for (const s of this.slots) {
      if (s.busy) continue;
      const held = s.seq.contextTokens as number[];
      const shared = commonPrefix(held, prompt);
      // What lies past the shared prefix is lost; it counts against the slot unless it is this session's own.
      const own = session !== undefined && s.session === session;
      const score = own ? shared : shared - (held.length - shared);
      const tie = score === bestScore && best !== undefined;
      const mine = (x: Slot) => x.session === session;
      const better =
        score > bestScore ||
        (tie && mine(s) && !mine(best!)) ||
        (tie && mine(s) === mine(best!) && s.usedAt < best!.usedAt);
      if (better) {
        best = s;
        bestScore = score;
      }
    }
    return best;
  }

  private async prepare(slot: Slot, prompt: readonly number[], session?: string): Promise<Lease> {
    const held = slot.seq.contextTokens as number[];
    const shared = commonPrefix(held, prompt);
    const usable = Math.max(0, Math.min(shared, prompt.length - 1));
    // Another session's long prefix is about to be overwritten: keep it in the host tier.
    if (slot.session && slot.session !== session && held.length - shared >= this.minSavedTokens) {
      if (await this.tier.save(this.model, slot.session, slot.seq)) this.counts.saves++;
    }
    const saved = session ? this.tier.get(this.model, session) : undefined;
    if (saved) {
      const restorable = Math.min(commonPrefix(saved.tokens, prompt), prompt.length - 1);
      if (restorable >= usable + RESTORE_GAIN) {
        const t0 = performance.now();
        await this.tier.restore(saved, slot.seq);
        this.counts.restoreMs += performance.now() - t0;
        this.counts.restoredTokens += restorable;
        this.counts.tierHits++;
        await this.tier.drop(this.model, saved.session);
        return { seq: slot.seq, cached: restorable, source: 'tier' };
      }
    }
    if (usable > 0) this.counts.sequenceHits++;
    else this.counts.misses++;
    return { seq: slot.seq, cached: usable, source: usable > 0 ? 'sequence' : 'none' };
  }
}
