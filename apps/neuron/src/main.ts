/**
 * Starts a neuron: loads neuron.toml (defaults when no file is given), boots the Nest app on
 * Fastify and listens. `cortex neuron` calls runNeuron; the module is also runnable on its own.
 */
import 'reflect-metadata';
import { join } from 'node:path';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import {
  QuietLogger,
  hardenServer,
  installRequestLog,
  loadNeuronConfig,
  parseHostPort,
  requestLogOptions,
  serverOptions,
  type AppEntry,
} from '@app/core';
import { GlobalErrorFilter } from './http/global-error.filter';
import { NeuronModule } from './neuron.module';

/**
 * With CORTEX_EXIT_WITH_PARENT=1 (set by `cortex up`), shut down when the parent process is gone, so
 * a killed `cortex up` leaves no orphan neuron or worker behind.
 */
function exitWithParent(close: () => Promise<void>): void {
  if (process.env.CORTEX_EXIT_WITH_PARENT !== '1') return;
  const parent = process.ppid;
  const timer = setInterval(() => {
    try {
      process.kill(parent, 0);
    } catch {
      clearInterval(timer);
      void close().finally(() => process.exit(0));
    }
  }, 1000);
  timer.unref();
}

export const runNeuron: AppEntry['run'] = async (opts) => {
  const config = loadNeuronConfig(opts.config);
  if (opts.port !== undefined) config.listen = `${parseHostPort(config.listen).host}:${opts.port}`;
  const faults = process.env.CORTEX_NEURON_FAULTS === '1';
  const app = await NestFactory.create<NestFastifyApplication>(
    NeuronModule.forRoot({ config, workerEntry: join(__dirname, 'worker', 'device-worker.entry.js'), faults }),
    new FastifyAdapter({ ...serverOptions(config.limits), ...requestLogOptions('neuron') }),
    { forceCloseConnections: true, bufferLogs: false, bodyParser: false, logger: opts.logger ?? new QuietLogger() },
  );
  hardenServer(app.getHttpAdapter().getInstance(), config.limits, ['/v1/']);
  installRequestLog(app.getHttpAdapter().getInstance(), /^\/(livez|readyz|metrics|health|models|discovery)(\?|$)/);
  if (opts.shutdownHooks !== false) app.enableShutdownHooks(['SIGTERM', 'SIGINT']);
  app.useGlobalFilters(new GlobalErrorFilter());
  const { host, port } = parseHostPort(config.listen);
  await app.listen({ host, port });
  const url = await app.getUrl();
  exitWithParent(() => app.close());
  const auth = config.token ? 'token required' : 'NO token: loopback only';
  process.stdout.write(`neuron ${config.name} listening on ${url} (${auth})${faults ? ' (fault injection ON)' : ''}\n`);
  return { url, close: () => app.close() };
};

if (require.main === module) {
  const i = process.argv.indexOf('--config');
  runNeuron({ config: i > 0 ? process.argv[i + 1] : undefined }).catch((err: Error) => {
    process.stderr.write(`neuron: ${err.message}\n`);
    process.exit(err.name === 'ConfigError' ? 2 : 1);
  });
}
