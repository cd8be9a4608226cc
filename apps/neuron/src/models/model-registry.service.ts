/**
 * The model lifecycle on this neuron: the records, single-flight loads (concurrent loads of one id
 * share one; the loader downloads, sizes and loads), unload with drain or force, and
 * status that follows the device supervisors (recovering while a poisoned device restarts, loaded
 * again once it reloads). An unload never leaves a ghost: during a load it is a 409, or with force
 * it cancels the load; a draining unload admits nothing new.
 */
import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import {
  CortexError,
  type EstimateRequest,
  type EstimateResponse,
  type NeuronConfig,
  type Servable,
  resolveSource,
} from '@app/core';
import type { DeviceSupervisor } from '../device-worker/device-supervisor';
import { DeviceWorkerService } from '../device-worker/device-worker.service';
import { ModelDownloadService } from '../downloads/model-download.service';
import { modelNotFound } from '../errors/to-cortex-error';
import { NEURON_CONFIG } from '../config/neuron.tokens';
import { chooseDevice, groupMembers } from './device-choice';
import { type ModelRecord, newRecord } from './model-record';
import { drainOrRefuse } from './drain-model';
import { type LoadRequest, ModelLoaderService } from './model-loader.service';

export type { LoadRequest } from './model-loader.service';
import { servability } from './servability';

export interface UnloadOptions {
  force?: boolean;
  drain?: boolean;
  abortAll?: (id: string) => void;
}

@Injectable()
export class ModelRegistryService implements OnApplicationBootstrap {
  private readonly log = new Logger('Models');
  private readonly records = new Map<string, ModelRecord>();
  private readonly loads = new Map<string, Promise<ModelRecord>>();
  /** Ids whose cancelled load is still unwinding in its worker; a new load of them waits for that. */
  private readonly cancelling = new Set<string>();

  constructor(
    @Inject(NEURON_CONFIG) private readonly cfg: NeuronConfig,
    private readonly devices: DeviceWorkerService,
    private readonly downloads: ModelDownloadService,
    private readonly loader: ModelLoaderService,
  ) {
    devices.onModelStatus((_device, id, status, detail) => {
      const r = this.records.get(id);
      if (!r || r.status === 'loading') return;
      r.status = status;
      r.error = status === 'failed' ? (detail ?? 'reload failed') : null;
      // A restarted worker holds no KV: no session is warm until it serves again.
      r.kv = undefined;
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

  /** The record of a model ready to serve, or the error that says why not. */
  serving(id: string): ModelRecord {
    const r = this.records.get(id);
    const retry = { param: 'model', retryAfterS: 2 };
    switch (r?.status) {
      case 'loaded':
        return r;
      case 'loading':
        throw new CortexError('model_loading', `model '${id}' is still loading`, retry);
      case 'unloading':
        throw new CortexError('model_unloading', `model '${id}' is being unloaded; retry on another neuron`, retry);
      case 'recovering':
        throw new CortexError(
          'model_recovering',
          `model '${id}' is recovering (its device restarted); retry shortly`,
          retry,
        );
      default:
        throw modelNotFound(id);
    }
  }

  /** Whether `r` can start a request now (models/servability.ts). */
  servable(r: ModelRecord): Servable | undefined {
    const sup = this.devices.get(r.deviceId);
    if (!sup)
      return r.status === 'loaded' ? { ok: false, reason: 'unavailable', detail: 'its device is gone' } : undefined;
    return servability(
      r,
      sup.device.vramTotalMb,
      this.list().filter((m) => m.deviceId === r.deviceId),
    );
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
    if (this.cancelling.has(req.id)) {
      throw new CortexError('load_in_progress', `model '${req.id}' is still cancelling its last load; retry shortly`, {
        param: 'id',
        retryAfterS: 2,
      });
    }
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
    if (resolved.kind === 'remote') this.downloads.assertAllowed(resolved.uri);
    const members = groupMembers(req, this.devices, this.list());
    const wanted = req.device ?? (req.devices?.length === 1 ? req.devices[0] : undefined);
    const one = members ? this.devices.get(members[0]!)! : chooseDevice(this.devices.list(), this.list(), wanted);
    const maxInFlight = this.loader.seats(req.max_in_flight, one);
    const deviceId = members ? members.join('+') : one.device.id;
    const record = newRecord(req.id, req.source, deviceId, maxInFlight, this.cfg.admission);
    if (members) record.devices = members;
    this.records.set(req.id, record);
    this.log.log(`loading ${req.id} from ${req.source} on ${deviceId}`);
    const started = Date.now();
    const resident = () => this.list();
    const onDevice = members
      ? this.devices.formGroup(members).then((group) => this.loader.loadOn(group, record, req, resolved, resident))
      : this.loader.loadOn(one, record, req, resolved, resident);
    const job = onDevice
      .then(() => {
        this.log.log(`loaded ${req.id} on ${deviceId} in ${Date.now() - started} ms (context ${record.contextSize})`);
        return record;
      })
      .catch((err: Error) => {
        if (record.cancelLoad?.signal.aborted)
          throw new CortexError('request_aborted', `load of '${req.id}' was cancelled by an unload`);
        record.status = 'failed';
        record.error = err.message;
        this.log.error(`load of ${req.id} failed: ${err.message}`);
        throw err;
      })
      .finally(() => {
        if (this.loads.get(req.id) === job) this.loads.delete(req.id);
        delete record.cancelLoad;
        if (members && record.status !== 'loaded') void this.releaseGroup(deviceId, req.id);
      });
    this.loads.set(req.id, job);
    return job;
  }

  /** What `source` would take on the device a load would choose (from its GGUF; nothing is loaded). */
  estimate(req: EstimateRequest): Promise<EstimateResponse> {
    return this.loader.estimate(req, this.list());
  }

  pin(id: string, pinned: boolean): ModelRecord {
    const r = this.records.get(id);
    if (!r) throw modelNotFound(id);
    r.pinned = pinned;
    this.log.log(`${pinned ? 'pinned' : 'unpinned'} ${id}`);
    return r;
  }

  /**
   * Unloads `id`. With requests in flight it refuses (409) unless `force` (abort them) or `drain`
   * (admit nothing new, wait up to drain_timeout_s for them to finish). During a load it refuses
   * (409) unless `force`, which cancels the load.
   */
  async unload(id: string, opts: UnloadOptions = {}): Promise<'unloaded' | 'cancelled'> {
    const r = this.records.get(id);
    if (!r) throw modelNotFound(id);
    if (r.status === 'loading') return this.cancelLoad(r, opts);
    if (r.admission.busy > 0 && !opts.force) await drainOrRefuse(r, !!opts.drain, this.cfg.drain_timeout_s);
    r.admission.close(`model '${id}' is being unloaded`);
    if (opts.force) opts.abortAll?.(id);
    this.records.delete(id);
    await this.devices.get(r.deviceId)?.unload(id);
    this.log.log(`unloaded ${id} from ${r.deviceId}${opts.force ? ' (forced)' : ''}`);
    if (r.devices) await this.releaseGroup(r.deviceId, id);
    return 'unloaded';
  }

  /** A group with no model left (`leaving` aside) gives its devices their own workers back. */
  private async releaseGroup(groupId: string, leaving: string): Promise<void> {
    if (this.list().some((m) => m.deviceId === groupId && m.id !== leaving)) return;
    await this.devices.dissolve(groupId);
  }

  private async cancelLoad(r: ModelRecord, opts: UnloadOptions): Promise<'cancelled'> {
    if (!opts.force) {
      throw new CortexError('load_in_progress', `model '${r.id}' is still loading; pass force to cancel the load`, {
        param: 'id',
      });
    }
    const job = this.loads.get(r.id);
    this.records.delete(r.id);
    this.loads.delete(r.id);
    this.cancelling.add(r.id);
    r.cancelLoad?.abort();
    r.admission.close(`model '${r.id}' load was cancelled`);
    await job?.catch(() => undefined);
    this.cancelling.delete(r.id);
    this.log.log(`cancelled the load of ${r.id} on ${r.deviceId}`);
    return 'cancelled';
  }
}
