/**
 * The worker's engine: loads models and holds them, and runs requests on them (generation itself is
 * in generation.ts), tokenizes and embeds with node-llama-cpp on this process's one device. Every request's failure is reported with a kind, so the parent can tell
 * a device fault (native) from a request error (js, bad_request, context_length, aborted).
 */
import type {
  ChildToParent,
  ContextPlan,
  ContextRequest,
  GenerationResult,
  LoadResult,
  LoadSpec,
  ParentToChild,
  WorkerConfig,
  WorkerStats,
} from '@app/core';
import { capabilitiesOf } from './capabilities';
import { chatWrapperFor } from './chat-wrapper';
import { historyOf, promptTokens, promptText, renderPrompt } from './prompt';
import type { Llama, Nlc } from './engine-types';
import { Generation, type Prompt } from './generation';
import { LoadedModel } from './loaded-model';
import { StateTier } from './state-tier';
import { planContext } from './estimate';
import { RequestFailure } from './request-failure';
import { injectFault } from './faults';
import { TokenCounter } from './token-counter';
import { toFunctions } from './generation-options';

type GenerateMsg = Extract<ParentToChild, { type: 'generate' }>;
type TokenizeMsg = Extract<ParentToChild, { type: 'tokenize' }>;
type Send = (msg: ChildToParent) => void;

const MB = 1024 * 1024;

export class WorkerEngine {
  private readonly models = new Map<string, LoadedModel>();
  private readonly aborts = new Map<string, AbortController>();
  private readonly tier: StateTier;
  private readonly generation: Generation;

  constructor(
    private readonly nlc: Nlc,
    private readonly llama: Llama,
    private readonly cfg: WorkerConfig,
    private readonly send: Send,
  ) {
    this.tier = new StateTier((cfg.sessions?.hostCacheMb ?? 0) * MB);
    this.generation = new Generation(nlc, llama);
  }

  async load(reqId: string, spec: LoadSpec): Promise<LoadResult> {
    const existing = this.models.get(spec.id);
    if (existing) return this.describe(existing, existing.vramMb);
    const path = spec.source;
    const cuda = this.cfg.kind === 'cuda';
    const est = await planContext(this.nlc, this.llama, this.cfg.kind, path, spec);
    const contextSize = est.contextSize;
    const before = (await this.llama.getVramState()).used;
    const model = await this.llama.loadModel({
      modelPath: path,
      gpuLayers: cuda ? 'max' : 0,
      onLoadProgress: (p) => this.send({ type: 'progress', reqId, progress: 0.9 * p }),
    });
    try {
      const context = await model.createContext({ contextSize, sequences: spec.sequences, threads: this.cfg.threads });
      const measured = cuda ? ((await this.llama.getVramState()).used - before) / MB : 0;
      const wrapper = chatWrapperFor(this.nlc, model);
      const vramMb = Math.round(measured || est.estimatedMb);
      const minSaved = this.cfg.sessions?.minSavedTokens ?? 256;
      const entry = new LoadedModel(spec.id, model, context, path, vramMb, wrapper, this.tier, minSaved);
      if (cuda) await this.smokeDecode(entry);
      this.models.set(spec.id, entry);
      this.send({ type: 'progress', reqId, progress: 1 });
      return this.describe(entry, est.estimatedMb, est.trainContextSize);
    } catch (err) {
      await model.dispose();
      throw err;
    }
  }

  /** One real decode on the GPU: a broken CUDA backend aborts here, at load, not on a user's request. */
  private async smokeDecode(entry: LoadedModel): Promise<void> {
    const { seq } = await entry.acquire();
    try {
      await seq.evaluateWithoutGeneratingNewTokens(entry.model.tokenize('ok'));
      await seq.clearHistory();
    } finally {
      entry.release(seq);
    }
  }

  private describe(entry: LoadedModel, estimatedVramMb: number, train = entry.model.trainContextSize): LoadResult {
    return {
      id: entry.id,
      contextSize: entry.contextSize,
      trainContextSize: train,
      sequences: entry.context.totalSequences,
      vramMb: entry.vramMb,
      estimatedVramMb,
      path: entry.path,
      capabilities: capabilitiesOf(entry.model, entry.chatWrapper),
      chatWrapper: entry.chatWrapper.wrapperName,
    };
  }

  /** The context a model file would get here, and the memory it would take, without loading it. */
  estimate(path: string, req: ContextRequest): Promise<ContextPlan> {
    return planContext(this.nlc, this.llama, this.cfg.kind, path, req);
  }

  async unload(id: string): Promise<{ id: string }> {
    const entry = this.models.get(id);
    if (!entry) throw new RequestFailure({ kind: 'not_found', message: `model '${id}' is not loaded on this device` });
    this.models.delete(id);
    await entry.dispose();
    return { id };
  }

  abort(reqId: string): void {
    this.aborts.get(reqId)?.abort();
  }

  private model(id: string): LoadedModel {
    const entry = this.models.get(id);
    if (!entry) throw new RequestFailure({ kind: 'not_found', message: `model '${id}' is not loaded on this device` });
    return entry;
  }

  async generate(msg: GenerateMsg): Promise<GenerationResult> {
    const entry = this.model(msg.modelId);
    const ac = new AbortController();
    this.aborts.set(msg.reqId, ac);
    const prompt = this.promptOf(msg, entry);
    const lease = await entry.acquire(prompt.tokens, msg.session);
    const silent = this.cfg.faults && msg.fault === 'silent';
    const counter = new TokenCounter(msg.reqId, lease.seq, this.send, silent);
    let result: GenerationResult;
    try {
      if (this.cfg.faults && msg.fault)
        await injectFault(msg.fault, () => this.send({ type: 'chunk', reqId: msg.reqId, text: 'x', tokens: 1 }));
      result =
        msg.mode === 'chat'
          ? await this.generation.chat(msg, entry, lease.seq, ac.signal, counter, prompt)
          : await this.generation.complete(msg, entry, lease.seq, ac.signal, counter);
    } finally {
      counter.stop();
      this.aborts.delete(msg.reqId);
      entry.release(lease.seq, msg.session);
    }
    const cachedTokens = Math.min(lease.cached, result.promptTokens);
    if (lease.source === 'none') entry.pool.prefilled(result.promptTokens, result.ttftMs);
    return { ...result, cachedTokens, kv: entry.pool.snapshot() };
  }

  /** The prompt as the model will see it: the chat template's rendering (tools included), or the text. */
  private promptOf(msg: GenerateMsg, entry: LoadedModel): Prompt {
    if (msg.mode !== 'chat') return { tokens: entry.model.tokenize(msg.prompt ?? '') as number[] };
    const history = historyOf(entry, msg.messages);
    const functions = msg.toolChoice === 'none' ? undefined : toFunctions(msg.tools);
    const tokens = promptTokens(entry, history, functions);
    const last = msg.messages?.at(-1);
    if (last?.role !== 'assistant' || !last.partial) return { tokens, history, functions };
    // An answer cut short and given back: its tokens are the answer's, not the prompt's.
    const before = promptTokens(entry, historyOf(entry, msg.messages!.slice(0, -1)), functions).length;
    const carriedThought = last.thought ? entry.model.tokenize(last.thought).length : 0;
    return { tokens, history, functions, carried: Math.max(0, tokens.length - before), carriedThought };
  }

  /** Counts without a sequence: rendering the template needs none, and all may be busy generating. */
  tokenize(msg: TokenizeMsg): { count: number; prompt?: string } {
    const entry = this.model(msg.modelId);
    if (msg.text !== undefined) {
      const count = entry.model.tokenize(msg.text).length;
      return { count, ...(msg.withPrompt ? { prompt: msg.text } : {}) };
    }
    const history = historyOf(entry, msg.messages);
    const rendered = renderPrompt(entry, history, toFunctions(msg.tools));
    return {
      count: rendered.tokenize(entry.model.tokenizer).length,
      ...(msg.withPrompt ? { prompt: promptText(entry, rendered) } : {}),
    };
  }

  async embed(modelId: string, inputs: string[]): Promise<{ vectors: number[][]; tokens: number }> {
    const entry = this.model(modelId);
    const ctx = await entry.embeddingContext(this.cfg.threads);
    const vectors: number[][] = [];
    let tokens = 0;
    for (const input of inputs) {
      tokens += entry.model.tokenize(input).length;
      vectors.push([...(await ctx.getEmbeddingFor(input)).vector]);
    }
    return { vectors, tokens };
  }

  async stats(totalMemMb: number, freeMemMb: number): Promise<WorkerStats> {
    const v = await this.llama.getVramState();
    const cuda = this.cfg.kind === 'cuda';
    return {
      vramTotalMb: cuda ? Math.round(v.total / MB) : totalMemMb,
      vramUsedMb: cuda ? Math.round(v.used / MB) : totalMemMb - freeMemMb,
      vramFreeMb: cuda ? Math.round(v.free / MB) : freeMemMb,
      models: [...this.models.keys()],
    };
  }

  async disposeAll(): Promise<void> {
    for (const entry of this.models.values()) await entry.dispose();
    this.models.clear();
    this.tier.dispose();
  }
}
