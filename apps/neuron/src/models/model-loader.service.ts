/**
 * How a model gets onto a device: a remote source downloaded first (outside the worker), the context
 * it gets (the one asked for, else the largest its device's free memory holds, planned one load at a
 * time per device), its seats and KV sequences, and the worker's load; and the same plan as an
 * estimate, loading nothing.
 */
import { Inject, Injectable } from '@nestjs/common';
import {
  type ContextRequest,
  CortexError,
  DEFAULT_MAX_IN_FLIGHT,
  type EstimateRequest,
  type EstimateResponse,
  type LoadModelRequest,
  type NeuronConfig,
  resolveSource,
} from '@app/core';
import { NEURON_CONFIG } from '../config/neuron.tokens';
import type { DeviceSupervisor } from '../device-worker/device-supervisor';
import { DeviceWorkerService } from '../device-worker/device-worker.service';
import { ModelDownloadService } from '../downloads/model-download.service';
import { toCortexError } from '../errors/to-cortex-error';
import { chooseDevice } from './device-choice';
import { DeviceTurns, freeMb } from './device-turns';
import type { ModelRecord } from './model-record';

export type LoadRequest = Omit<LoadModelRequest, 'wait'>;

@Injectable()
export class ModelLoaderService {
  private readonly turns = new DeviceTurns();

  constructor(
    @Inject(NEURON_CONFIG) private readonly cfg: NeuronConfig,
    private readonly devices: DeviceWorkerService,
    private readonly downloads: ModelDownloadService,
  ) {}

  /** Loads `req` on `sup` into `record`: download first (remote), then the context, then the worker's load. */
  async loadOn(
    sup: DeviceSupervisor,
    record: ModelRecord,
    req: LoadRequest,
    source: ReturnType<typeof resolveSource>,
    resident: () => ModelRecord[],
  ): Promise<void> {
    const cancel = record.cancelLoad!.signal;
    const remote = source.kind === 'remote';
    const path = remote
      ? await this.downloads.fetch(source.uri, (p) => (record.loadProgress = 0.5 * p), cancel)
      : source.path;
    cancel.throwIfAborted();
    const sequences = this.sequencesFor(record.maxInFlight);
    const minContext = req.min_context ?? this.cfg.min_context;
    const contextSize = await this.contextFor(
      record,
      sup,
      path,
      {
        contextSize: req.context_size,
        minContext,
        sequences,
      },
      resident,
    );
    cancel.throwIfAborted();
    const spec = { id: req.id, source: path, contextSize, minContext, sequences };
    const res = await sup.load(spec, (p) => (record.loadProgress = remote ? 0.5 + 0.5 * p : p));
    if (cancel.aborted) {
      await sup.unload(req.id).catch(() => undefined);
      throw new CortexError('request_aborted', 'cancelled');
    }
    Object.assign(record, {
      status: 'loaded',
      loadProgress: 1,
      vramMb: res.vramMb,
      estimatedVramMb: res.estimatedVramMb,
      contextSize: res.contextSize,
      trainContextSize: res.trainContextSize,
      chatWrapper: res.chatWrapper,
      capabilities: res.capabilities,
      sequences: res.sequences,
      kv: undefined,
      loadedAt: Date.now(),
    });
  }

  /**
   * The context a load gets: the one asked for, else the largest that fits what its device has free,
   * planned in the device's turn and reserved on the record before the next plan counts.
   */
  private async contextFor(
    record: ModelRecord,
    sup: DeviceSupervisor,
    path: string,
    req: ContextRequest,
    resident: () => ModelRecord[],
  ) {
    if (req.contextSize !== undefined) return req.contextSize;
    return this.turns.take(record.deviceId, async () => {
      const budgetMb = freeMb(record.deviceId, sup.device.vramTotalMb, resident(), record);
      const plan = await sup.estimate(path, { ...req, budgetMb }).catch((err: unknown) => {
        throw toCortexError(err);
      });
      record.estimatedVramMb = plan.estimatedMb;
      record.contextSize = plan.contextSize;
      return plan.contextSize;
    });
  }

  /** Seats (and so KV sequences) a model gets on `sup`: the request's, else the neuron's, else the device kind's. */
  seats(asked: number | undefined, sup: DeviceSupervisor): number {
    return asked ?? this.cfg.admission.max_in_flight ?? DEFAULT_MAX_IN_FLIGHT[sup.device.kind];
  }

  /** KV sequences for that many seats: one per seat, plus the idle ones that keep sessions warm. */
  private sequencesFor(seats: number): number {
    return seats + this.cfg.sessions.idle_sequences;
  }

  /** What `source` would take on the device a load would choose (from its GGUF; nothing is loaded). */
  async estimate(req: EstimateRequest, resident: ModelRecord[]): Promise<EstimateResponse> {
    const src = resolveSource(req.source, this.cfg.models_dir);
    if (src.kind === 'remote') {
      throw new CortexError('invalid_source', 'source: estimates read a local file; set vram_mb for remote sources', {
        param: 'source',
      });
    }
    const sup = chooseDevice(this.devices.list(), resident, req.device);
    const sequences = this.sequencesFor(this.seats(req.max_in_flight, sup));
    const budgetMb = freeMb(sup.device.id, sup.device.vramTotalMb, resident);
    const minContext = req.min_context ?? this.cfg.min_context;
    const plan = { contextSize: req.context_size, minContext, sequences };
    // What a load would get now; when even the floor does not fit here now, what it needs (the floor).
    const e = await sup
      .estimate(src.path, { ...plan, budgetMb })
      .catch(() => sup.estimate(src.path, plan))
      .catch((err: unknown) => {
        throw toCortexError(err);
      });
    return {
      source: req.source,
      device: sup.device.id,
      context_size: e.contextSize,
      train_context_size: e.trainContextSize,
      sequences,
      estimated_vram_mb: e.estimatedMb,
      min_context_size: e.minContextSize,
      min_vram_mb: e.minMb,
    };
  }
}
