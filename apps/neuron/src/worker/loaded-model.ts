/**
 * One model resident in a worker: its context, a pool of sequences (one per admitted request) and a
 * lazily created embedding context.
 */
import type {
  ChatWrapper,
  LlamaContext,
  LlamaContextSequence,
  LlamaEmbeddingContext,
  LlamaModel,
} from './engine-types';

export class LoadedModel {
  private readonly free: LlamaContextSequence[] = [];
  private embedding?: Promise<LlamaEmbeddingContext>;

  constructor(
    readonly id: string,
    readonly model: LlamaModel,
    readonly context: LlamaContext,
    readonly path: string,
    readonly vramMb: number,
    /** Resolved once at load: resolving per request renders the Jinja template several times (~200 ms). */
    readonly chatWrapper: ChatWrapper,
  ) {
    for (let i = 0; i < context.totalSequences; i++) this.free.push(context.getSequence());
  }

  get contextSize(): number {
    return this.context.contextSize;
  }

  acquire(): LlamaContextSequence {
    const seq = this.free.pop();
    // The neuron admits at most `sequences` requests per model, so this is a bug, not load.
    if (!seq) throw new Error(`model ${this.id}: no free sequence (admission out of sync)`);
    return seq;
  }

  release(seq: LlamaContextSequence): void {
    this.free.push(seq);
  }

  embeddingContext(threads: number): Promise<LlamaEmbeddingContext> {
    this.embedding ??= this.model.createEmbeddingContext({ threads, contextSize: Math.min(this.contextSize, 2048) });
    return this.embedding;
  }

  async dispose(): Promise<void> {
    if (this.embedding) await (await this.embedding).dispose();
    await this.context.dispose();
    await this.model.dispose();
  }
}
