/**
 * Hot reload of models.toml (catalogue, aliases, priorities) and cortex.toml's [auth] keys, on
 * SIGHUP and whenever either file changes. The new files are validated whole first (the same
 * key-path errors as at start); an invalid one is refused, logged and counted, and the old config
 * stays in force. Requests in flight keep what they started with; the next decision reads the new one.
 * Listeners, limits and the neuron list are read once at start (a restart changes them).
 */
import { type FSWatcher, watch } from 'node:fs';
import { basename, dirname } from 'node:path';
import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { InjectMetric } from '@willsoto/nestjs-prometheus';
import type { Counter } from 'prom-client';
import { type CortexConfig, loadCortexConfig, loadModelsConfig } from '@app/core';
import type { Catalogue } from '../config/catalogue';
import { CATALOGUE, CONFIG_PATH, GATEWAY_CONFIG } from '../config/gateway.tokens';
import { G } from '../metrics/gateway-metrics';

/** Editors write a file in several steps; one reload after they settle. */
const SETTLE_MS = 150;

@Injectable()
export class ConfigReloader implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly log = new Logger('Reload');
  private readonly watchers: FSWatcher[] = [];
  private timer: NodeJS.Timeout | null = null;
  private readonly onHup = () => this.reload('SIGHUP');

  constructor(
    @Inject(GATEWAY_CONFIG) private readonly cfg: CortexConfig,
    @Inject(CATALOGUE) private readonly catalogue: Catalogue,
    @Inject(CONFIG_PATH) private readonly path: string | null,
    @InjectMetric(G.reloads) private readonly reloads: Counter<string>,
  ) {}

  onApplicationBootstrap(): void {
    // Both outcomes exist from the start, at 0, so the dashboard shows "none" rather than "no data".
    for (const result of ['applied', 'refused']) this.reloads.inc({ result }, 0);
    if (!this.path) return;
    process.on('SIGHUP', this.onHup);
    for (const file of [this.path, this.cfg.models_config].filter((f): f is string => !!f)) {
      // Watch the directory: editors replace the file rather than write into it, and a Kubernetes
      // ConfigMap volume swaps its `..data` link.
      const w = watch(dirname(file), (_event, name) => {
        if (name === basename(file) || name === '..data') this.schedule(`${basename(file)} changed`);
      });
      w.on('error', (err) => this.log.warn(`cannot watch ${file}: ${err.message}`));
      this.watchers.push(w);
    }
  }

  onApplicationShutdown(): void {
    process.off('SIGHUP', this.onHup);
    this.watchers.forEach((w) => w.close());
    if (this.timer) clearTimeout(this.timer);
  }

  private schedule(why: string): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      this.reload(why);
    }, SETTLE_MS);
    this.timer.unref();
  }

  /** Validates both files, then swaps the catalogue and the keys; refuses and keeps the old on any error. */
  reload(why: string): boolean {
    let fresh: CortexConfig;
    let models: ReturnType<typeof loadModelsConfig>;
    try {
      fresh = loadCortexConfig(this.path!);
      models = loadModelsConfig(fresh.models_config);
    } catch (err) {
      this.reloads.inc({ result: 'refused' });
      this.log.error(`reload (${why}) refused, the running config stays in force:\n${(err as Error).message}`);
      return false;
    }
    this.catalogue.replace(models);
    this.cfg.auth = fresh.auth;
    this.reloads.inc({ result: 'applied' });
    this.log.log(
      `reloaded (${why}): ${models.models.length} model(s), ${Object.keys(models.aliases).length} alias(es), ` +
        `${fresh.auth.keys.length} key(s)`,
    );
    return true;
  }
}
