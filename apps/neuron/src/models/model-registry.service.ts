/**
 * The model lifecycle on this neuron: single-flight loads (concurrent loads of one id share one),
 * device choice, unload with drain or force, and status that follows the device supervisors
 * (recovering while a poisoned device restarts, loaded again once it reloads).
 */
import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { DEFAULT_MAX_IN_FLIGHT, type NeuronConfig } from '@app/core';
import type { DeviceSupervisor } from '../device-worker/device-supervisor';
import { DeviceWorkerService } from '../device-worker/device-worker.service';
import { Admission } from '../inference/admission';
import { CortexError } from '@app/core';
import { modelNotFound } from '../http/to-cortex-error';
import { NEURON_CONFIG } from '../neuron.tokens';
import type { ModelRecord } from './model-record';
import { resolveSource } from './source';

export interface LoadRequest {
  id: string;
  source: string;
  context_size?: number;
  max_in_flight?: number;
  device?: string;
}

@Injectable()
export class ModelRegistryService implements OnApplicationBootstrap {
  private readonly log = new Logger('Models');
  private readonly records = new Map<string, ModelRecord>();
  private readonly loads = new Map<string, Promise<ModelRecord>>();

  constructor(
    @Inject(NEURON_CONFIG) private readonly cfg: NeuronConfig,
    private readonly devices: DeviceWorkerService,
  ) {
    devices.onModelStatus((_device, id, status, detail) => {
      const r = this.records.get(id);
      if (!r) return;
      r.status = status;
      r.error = status === 'failed' ? (detail ?? 'reload failed') : null;
      if (status === 'loaded') r.loadedAt = Date.now();
    });
  }

  onApplicationBootstrap(): void {
    void this.devices.whenStarted().then(() => this.preload());
  }

  private async preload(): Promise<void> {
    for (const p of this.cfg.preload) {
      await this.load(p).catch((err: Error) => this.log.error(`preload of ${p.id} failed: ${err.message}`));
    }
  }

  list(): ModelRecord[] {
    return [...this.records.values()];
  }

  get(id: string): ModelRecord | undefined {
    return this.records.get(id);
  }

  /** The record of a model ready to serve, or the HTTP error that says why not. */
  serving(id: string): ModelRecord {
    const r = this.records.get(id);
    if (!r || r.status === 'failed' || r.status === 'loading') {
      if (r?.status === 'loading') {
        throw new CortexError('model_loading', `model '${id}' is still loading`, { param: 'model', retryAfterS: 2 });
      }
      throw modelNotFound(id);
    }
    if (r.status === 'recovering') {
      throw new CortexError('model_recovering', `model '${id}' is recovering (its device restarted); retry shortly`, {
        param: 'model',
        retryAfterS: 2,
      });
    }
    return r;
  }

  supervisorOf(r: ModelRecord): DeviceSupervisor {
    const sup = this.devices.get(r.deviceId);
    if (!sup) throw new CortexError('internal_error', `device ${r.deviceId} vanished`);
    return sup;
  }

  /** Starts (or joins) the load of `req.id`; resolves when resident. */
  load(req: LoadRequest): Promise<ModelRecord> {
    const running = this.loads.get(req.id);
    if (running) return running;
    const existing = this.records.get(req.id);
    if (existing && existing.status !== 'failed') {
      if (existing.source !== req.source) {
        throw new CortexError('model_exists', `model '${req.id}' is already loaded from "${existing.source}"`, {
          param: 'source',
        });
      }
      return Promise.resolve(existing);
    }
    const resolved = resolveSource(req.source, this.cfg.models_dir);
    const sup = this.pickDevice(req.device);
    const maxInFlight = req.max_in_flight ?? this.cfg.admission.max_in_flight ?? DEFAULT_MAX_IN_FLIGHT[sup.device.kind];
    const a = this.cfg.admission;
    const record: ModelRecord = {
      id: req.id,
      source: req.source,
      deviceId: sup.device.id,
      status: 'loading',
      loadProgress: 0,
      vramMb: null,
      estimatedVramMb: null,
      contextSize: null,
      trainContextSize: null,
      maxInFlight,
      admission: new Admission(maxInFlight, a.max_queue_depth, a.max_wait_s * 1000),
      lastUsedAt: null,
      loadedAt: null,
      capabilities: [],
      pinned: false,
      error: null,
    };
    this.records.set(req.id, record);
    const spec = {
      id: req.id,
      source: resolved.kind === 'file' ? resolved.path : resolved.uri,
      downloadDir: this.cfg.models_dir,
      contextSize: req.context_size,
      sequences: maxInFlight,
    };
    this.log.log(`loading ${req.id} from ${req.source} on ${sup.device.id}`);
    const started = Date.now();
    const job = sup
      .load(spec, (p) => (record.loadProgress = p))
      .then((res) => {
        Object.assign(record, {
          status: 'loaded',
          loadProgress: 1,
          vramMb: res.vramMb,
          estimatedVramMb: res.estimatedVramMb,
          contextSize: res.contextSize,
          trainContextSize: res.trainContextSize,
          capabilities: res.capabilities,
          loadedAt: Date.now(),
        });
        this.log.log(`loaded ${req.id} on ${sup.device.id} in ${Date.now() - started} ms (context ${res.contextSize})`);
        return record;
      })
      .catch((err: Error) => {
        record.status = 'failed';
        record.error = err.message;
        this.log.error(`load of ${req.id} failed: ${err.message}`);
        throw err;
      })
      .finally(() => this.loads.delete(req.id));
    this.loads.set(req.id, job);
    return job;
  }

  pin(id: string, pinned: boolean): ModelRecord {
    const r = this.records.get(id);
    if (!r) throw modelNotFound(id);
    r.pinned = pinned;
    this.log.log(`${pinned ? 'pinned' : 'unpinned'} ${id}`);
    return r;
  }

  private pickDevice(wanted?: string): DeviceSupervisor {
    const all = this.devices.list();
    if (wanted) {
      const sup = this.devices.get(wanted);
      if (!sup)
        throw new CortexError(
          'device_not_found',
          `device: no device "${wanted}" on this neuron (have ${all.map((s) => s.device.id).join(', ')})`,
          { param: 'device' },
        );
      if (sup.state === 'failed')
        throw new CortexError('device_failed', `device ${wanted} has failed`, { param: 'device' });
      return sup;
    }
    const usable = all.filter((s) => s.state !== 'failed' && s.state !== 'stopped');
    if (!usable.length) throw new CortexError('device_failed', 'no usable device on this neuron');
    const committed = (s: DeviceSupervisor) =>
      this.list()
        .filter((r) => r.deviceId === s.device.id)
        .reduce((sum, r) => sum + (r.estimatedVramMb ?? 0), 0);
    return usable.sort(
      (a, b) =>
        b.device.vramTotalMb - committed(b) - (a.device.vramTotalMb - committed(a)) ||
        a.models.length - b.models.length ||
        a.device.id.localeCompare(b.device.id),
    )[0]!;
  }

  /**
   * Unloads `id`. With requests in flight it refuses (409) unless `force` (abort them) or `drain`
   * (stop admitting, wait up to drain_timeout_s for them to finish).
   */
  async unload(
    id: string,
    opts: { force?: boolean; drain?: boolean; abortAll?: (id: string) => void } = {},
  ): Promise<void> {
    const r = this.records.get(id);
    if (!r) throw modelNotFound(id);
    if (r.admission.inFlight > 0 && !opts.force) {
      if (!opts.drain) {
        throw new CortexError(
          'model_busy',
          `model '${id}' has ${r.admission.inFlight} request(s) in flight; pass force or drain`,
          { param: 'id' },
        );
      }
      const drained = await Promise.race([
        r.admission.idle().then(() => true),
        new Promise<boolean>((res) => setTimeout(() => res(false), this.cfg.drain_timeout_s * 1000).unref()),
      ]);
      if (!drained) {
        throw new CortexError(
          'model_busy',
          `model '${id}' still busy after ${this.cfg.drain_timeout_s} s of draining`,
          { param: 'id' },
        );
      }
    }
    r.admission.close(`model '${id}' is being unloaded`);
    if (opts.force) opts.abortAll?.(id);
    this.records.delete(id);
    await this.devices.get(r.deviceId)?.unload(id);
    this.log.log(`unloaded ${id} from ${r.deviceId}${opts.force ? ' (forced)' : ''}`);
  }
}
