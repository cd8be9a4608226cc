/** Turns each model's KV snapshot (cumulative, from its worker) into Prometheus counter increments. */
import { Injectable } from '@nestjs/common';
import { InjectMetric } from '@willsoto/nestjs-prometheus';
import type { Counter, Gauge } from 'prom-client';
import type { KvSnapshot } from '@app/core';
import { M } from './neuron-metrics';

@Injectable()
export class KvMetrics {
  constructor(
    @InjectMetric(M.kvLookups) private readonly lookups: Counter<string>,
    @InjectMetric(M.kvSaves) private readonly saves: Counter<string>,
    @InjectMetric(M.kvTierBytes) private readonly bytes: Gauge<string>,
    @InjectMetric(M.kvSeconds) private readonly seconds: Counter<string>,
    @InjectMetric(M.kvTokens) private readonly tokens: Counter<string>,
  ) {}

  /** Counts what changed between the model's previous snapshot and this one (a restarted worker starts at 0). */
  observe(model: string, before: KvSnapshot | undefined, now: KvSnapshot): void {
    const d = (k: keyof Omit<KvSnapshot, 'warm'>) => Math.max(0, now[k] - (before?.[k] ?? 0));
    this.lookups.inc({ model, result: 'sequence_hit' }, d('sequenceHits'));
    this.lookups.inc({ model, result: 'tier_hit' }, d('tierHits'));
    this.lookups.inc({ model, result: 'miss' }, d('misses'));
    this.saves.inc({ model }, d('saves'));
    this.bytes.set({ model }, now.tierBytes);
    this.seconds.inc({ model, op: 'restore' }, d('restoreMs') / 1000);
    this.seconds.inc({ model, op: 'prefill' }, d('prefillMs') / 1000);
    this.tokens.inc({ model, op: 'restore' }, d('restoredTokens'));
    this.tokens.inc({ model, op: 'prefill' }, d('prefilledTokens'));
  }
}
