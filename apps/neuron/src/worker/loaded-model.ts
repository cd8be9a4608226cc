/**
 * One model resident in a worker: its context, its KV sequences (a seat per admitted request, plus
 * idle ones that keep sessions' prefixes), chosen by prefix (SequencePool), and a lazily created
 * embedding context.
 */
import type {
  ChatWrapper,
  LlamaContext,
  LlamaContextSequence,
  LlamaEmbeddingContext,
  LlamaModel,
} from './engine-types';
import { type Lease, SequencePool } from './sequence-pool';
import type { StateTier } from './state-tier';

export class LoadedModel {
  readonly pool: SequencePool;
  private embedding?: Promise<LlamaEmbeddingContext>;

  constructor(
    readonly id: string,
    readonly model: LlamaModel,
    readonly context: LlamaContext,
    readonly path: string,
    readonly vramMb: number,
    /** Resolved once at load: resolving per request renders the Jinja template several times (~200 ms). */
    readonly chatWrapper: ChatWrapper,
    private readonly tier: StateTier,
    minSavedTokens: number,
  ) {
    const sequences = Array.from({ length: context.totalSequences }, () => context.getSequence());
    this.pool = new SequencePool(id, sequences, tier, minSavedTokens);
  }

  get contextSize(): number {
    return this.context.contextSize;
  }

  /** The free sequence that holds the longest prefix of `prompt` (see SequencePool). */
  acquire(prompt?: readonly number[], session?: string): Promise<Lease> {
    return this.pool.acquire(prompt, session);
  }

  release(seq: LlamaContextSequence, session?: string): void {
    this.pool.release(seq, session);
  }

  embeddingContext(threads: number): Promise<LlamaEmbeddingContext> {
    this.embedding ??= this.model.createEmbeddingContext({ threads, contextSize: Math.min(this.contextSize, 2048) });
    return this.embedding;
  }

  async dispose(): Promise<void> {
    await this.tier.dropModel(this.id);
    if (this.embedding) await (await this.embedding).dispose();
    await this.context.dispose();
    await this.model.dispose();
  }
}
