/**
 * The contract between the CLI and the apps it starts (gateway, neuron). Apps never import each
 * other; the CLI loads an app's built entry at run time and calls `run` through this shape.
 */
import type { LoggerService, LogLevel } from '@nestjs/common';

export interface AppRunOptions {
  config?: string;
  port?: number;
  metricsPort?: number;
  logger?: LogLevel[] | LoggerService | false;
  /** Install SIGINT/SIGTERM handlers that close the app (default true); `cortex up` handles signals itself. */
  shutdownHooks?: boolean;
}

export interface RunningApp {
  url: string;
  metricsUrl?: string;
  close(): Promise<void>;
}

export interface AppEntry {
  run(opts: AppRunOptions): Promise<RunningApp>;
}
