/**
 * Starts a neuron: loads neuron.toml (defaults when no file is given), boots the Nest app on
 * Fastify and listens. `cortex neuron` calls runNeuron; the module is also runnable on its own.
 */
import 'reflect-metadata';
import { join } from 'node:path';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { NeuronConfig, loadNeuronConfig, parseHostPort, type AppEntry } from '@app/core';
import { fastifyErrorHandler } from './http/fastify-error-handler';
import { NeuronModule } from './neuron.module';

export const runNeuron: AppEntry['run'] = async (opts) => {
  const config = opts.config
    ? loadNeuronConfig(opts.config)
    : Object.assign(new NeuronConfig(), { models_dir: join(process.cwd(), 'models') });
  if (opts.port) config.listen = `${parseHostPort(config.listen).host}:${opts.port}`;
  const faults = process.env.CORTEX_NEURON_FAULTS === '1';
  const app = await NestFactory.create<NestFastifyApplication>(
    NeuronModule.forRoot({ config, workerEntry: join(__dirname, 'worker', 'device-worker.entry.js'), faults }),
    new FastifyAdapter({ bodyLimit: 32 * 1024 * 1024 }),
    { forceCloseConnections: true, bufferLogs: false, logger: opts.logger ?? ['log', 'warn', 'error'] },
  );
  app.enableShutdownHooks();
  await app.init();
  // Body parsing fails before Nest routing; answer in the OpenAI envelope too (set after init,
  // which installs Nest's own handler).
  app.getHttpAdapter().getInstance().setErrorHandler(fastifyErrorHandler);
  const { host, port } = parseHostPort(config.listen);
  await app.listen({ host, port });
  const url = await app.getUrl();
  process.stdout.write(`neuron ${config.name} listening on ${url}${faults ? ' (fault injection ON)' : ''}\n`);
  return { url, close: () => app.close() };
};

if (require.main === module) {
  const i = process.argv.indexOf('--config');
  runNeuron({ config: i > 0 ? process.argv[i + 1] : undefined }).catch((err: Error) => {
    process.stderr.write(`neuron: ${err.message}\n`);
    process.exit(err.name === 'ConfigError' ? 2 : 1);
  });
}
