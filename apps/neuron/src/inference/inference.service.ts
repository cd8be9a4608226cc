/**
 * Runs one inference request against the model's device: admission, dispatch to the worker,
 * cancellation when the client goes away, and the per-request metrics.
 */
import { Inject, Injectable } from '@nestjs/common';
import { InjectMetric } from '@willsoto/nestjs-prometheus';
import type { Counter, Gauge, Histogram } from 'prom-client';
import {
  type CortexError,
  FAULT_KINDS,
  type FaultKind,
  type GenerationEvent,
  type GenerationResult,
  type ParentToChild,
  type Principal,
} from '@app/core';
import { DrainService } from '../lifecycle/drain.service';
import { toCortexError } from '../errors/to-cortex-error';
import { KvMetrics } from '../metrics/kv-metrics.service';
import { M } from '../metrics/neuron-metrics';
import type { ModelRecord } from '../models/model-record';
import { ModelRegistryService } from '../models/model-registry.service';
import { FAULTS_ENABLED } from '../config/neuron.tokens';
import { AdmissionRejected, REJECT_REASONS } from '../admission/admission';
import { assertPromptFits } from './context-check';

export type GenerateRequest = Omit<Extract<ParentToChild, { type: 'generate' }>, 'reqId' | 'type' | 'fault'>;

export interface GenerateHooks {
  /** Who the request is for, for fair share of the seats (anonymous when unset). */
  principal?: Principal;
  /** No seat is free: the request waits in the queue (streams start now and ping meanwhile). */
  onQueued?(): void;
  /** A seat was granted (streams send their role chunk now, before prefill). */
  onAdmitted?(): void;
  /** Text, thought text and tool-call fragments as they are generated. */
  onEvent?(event: GenerationEvent): void;
}

@Injectable()
export class InferenceService {
  private readonly active = new Map<string, Set<() => void>>();
  private readonly counted = new Set<string>();

  constructor(
    private readonly registry: ModelRegistryService,
    private readonly drain: DrainService,
    @Inject(FAULTS_ENABLED) private readonly faults: boolean,
    @InjectMetric(M.tokens) private readonly tokens: Counter<string>,
    @InjectMetric(M.ttft) private readonly ttft: Histogram<string>,
    @InjectMetric(M.decode) private readonly decode: Histogram<string>,
    @InjectMetric(M.inFlight) private readonly inFlight: Gauge<string>,
    @InjectMetric(M.queueDepth) private readonly queueDepth: Gauge<string>,
    @InjectMetric(M.rejections) private readonly rejections: Counter<string>,
    private readonly kv: KvMetrics,
  ) {}

  /** Validates a fault header: only honoured with CORTEX_NEURON_FAULTS=1. */
  fault(header: unknown): FaultKind | undefined {
    if (!this.faults || typeof header !== 'string') return undefined;
    return FAULT_KINDS.find((f) => f === header);
  }

  async generate(
    req: GenerateRequest,
    signal: AbortSignal,
    hooks: GenerateHooks = {},
    fault?: FaultKind,
  ): Promise<GenerationResult> {
    this.drain.assertOpen();
    const record = this.registry.serving(req.modelId);
    const sup = this.registry.supervisorOf(record);
    await assertPromptFits(req, record.contextSize, () => this.countPrompt(sup, req));
    const release = await this.admit(record, signal, hooks.principal, hooks.onQueued);
    let abort = () => undefined as void;
    let shutdown: CortexError | undefined;
    const leave = this.drain.enter((err) => {
      shutdown = err;
      abort();
    });
    const aborts = this.active.get(record.id) ?? new Set<() => void>();
    this.active.set(record.id, aborts);
    this.gauges(record);
    try {
      hooks.onAdmitted?.();
      const gen = sup.generate({ ...req, type: 'generate', fault }, (event) => hooks.onEvent?.(event));
      abort = gen.abort;
      aborts.add(abort);
      signal.addEventListener('abort', abort);
      if (signal.aborted) abort();
      const result = await gen.result;
      // Stopped by the drain timeout: an error, not a finish that looks complete.
      if (shutdown) throw shutdown;
      this.record(record.id, result);
      if (result.kv) {
        this.kv.observe(record.id, record.kv, result.kv);
        record.kv = result.kv;
      }
      return result;
    } catch (err) {
      throw shutdown ?? toCortexError(err);
    } finally {
      signal.removeEventListener('abort', abort);
      aborts.delete(abort);
      record.lastUsedAt = Date.now();
      release();
      leave();
      this.gauges(record);
    }
  }

  /**
   * Work on a model outside a generation (embeddings, token counts): refused while draining or
   * unloading, counted for unload and shutdown. `seat` work (embeddings compute on the device)
   * takes a generation seat; counting takes none, so it never queues behind a long generation.
   */
  async run<T>(
    modelId: string,
    signal: AbortSignal,
    seat: boolean,
    work: (record: ModelRecord, sup: ReturnType<ModelRegistryService['supervisorOf']>) => Promise<T>,
    principal?: Principal,
  ): Promise<T> {
    this.drain.assertOpen();
    const record = this.registry.serving(modelId);
    const release = seat ? await this.admit(record, signal, principal) : this.track(record);
    const leave = this.drain.enter();
    this.gauges(record);
    try {
      return await work(record, this.registry.supervisorOf(record));
    } catch (err) {
      throw toCortexError(err);
    } finally {
      record.lastUsedAt = Date.now();
      release();
      leave();
      this.gauges(record);
    }
  }

  private track(record: ModelRecord): () => void {
    try {
      return record.admission.track();
    } catch (err) {
      throw toCortexError(err);
    }
  }

  /** The prompt's tokens as the worker will see them (chat: through the template, with the tools it offers). */
  private async countPrompt(sup: ReturnType<ModelRegistryService['supervisorOf']>, req: GenerateRequest) {
    const chat = req.mode === 'chat';
    const out = await sup
      .tokenize({
        type: 'tokenize',
        modelId: req.modelId,
        ...(chat
          ? { messages: req.messages ?? [], tools: req.toolChoice === 'none' ? undefined : req.tools }
          : { text: req.prompt ?? '' }),
      })
      .catch((err: unknown) => {
        throw toCortexError(err);
      });
    return chat ? out.count : out.count + 1;
  }

  /** Aborts every generation of a model (forced unload). */
  abortAll(modelId: string): void {
    this.active.get(modelId)?.forEach((abort) => abort());
  }

  private async admit(
    record: ModelRecord,
    signal: AbortSignal,
    principal?: Principal,
    onQueued?: () => void,
  ): Promise<() => void> {
    record.lastUsedAt = Date.now();
    this.seriesFor(record.id);
    const queued = record.admission.mustWait(principal);
    const waiting = record.admission.acquire(signal, principal);
    if (queued) onQueued?.();
    this.gauges(record);
    try {
      return await waiting;
    } catch (err) {
      if (err instanceof AdmissionRejected) this.rejections.inc({ model: record.id, reason: err.reason });
      throw toCortexError(err);
    } finally {
      this.gauges(record);
    }
  }

  /**
   * A model's rejection series exist from its first request, at 0: a dashboard shows "none" instead of
   * "no data", and the first real rejection counts in rate() (a series born at 1 does not).
   */
  private seriesFor(model: string): void {
    if (this.counted.has(model)) return;
    this.counted.add(model);
    for (const reason of REJECT_REASONS) this.rejections.inc({ model, reason }, 0);
  }

  private gauges(r: ModelRecord): void {
    this.inFlight.set({ model: r.id }, r.admission.inFlight);
    this.queueDepth.set({ model: r.id }, r.admission.queueDepth);
  }

  private record(model: string, r: GenerationResult): void {
    this.tokens.inc({ model, kind: 'prompt' }, r.promptTokens);
    if (r.cachedTokens) this.tokens.inc({ model, kind: 'cached' }, r.cachedTokens);
    this.tokens.inc({ model, kind: 'completion' }, r.completionTokens);
    this.ttft.observe({ model }, r.ttftMs / 1000);
    if (r.completionTokens > 1 && r.decodeMs > 0)
      this.decode.observe({ model }, (r.completionTokens - 1) / (r.decodeMs / 1000));
  }
}
