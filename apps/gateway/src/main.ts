/**
 * Starts the gateway: the API app (OpenAI + Anthropic, :31313) and a separate metrics app
 * (Prometheus, :31314). `cortex serve` calls runGateway; it is also runnable on its own.
 */
import 'reflect-metadata';
import { resolve } from 'node:path';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import {
  type AppEntry,
  QuietLogger,
  hardenServer,
  installRequestLog,
  loadCortexConfig,
  loadModelsConfig,
  parseHostPort,
  requestLogOptions,
  serverOptions,
} from '@app/core';
import { Catalogue } from './config/catalogue';
import { GatewayModule } from './gateway.module';
import { corsFor } from './http/cors';
import { GlobalErrorFilter } from './errors/global-error.filter';
import { MetricsAppModule } from './metrics-app.module';
import { RequestJournal } from './metrics/request-journal';

export const runGateway: AppEntry['run'] = async (opts) => {
  const configPath = resolve(opts.config ?? 'cortex.toml');
  const cfg = loadCortexConfig(configPath);
  const catalogue = new Catalogue(loadModelsConfig(cfg.models_config));
  const listen = parseHostPort(cfg.gateway.listen);
  const metricsListen = parseHostPort(cfg.gateway.metrics_listen);
  const logger = opts.logger ?? new QuietLogger();

  const metrics = await NestFactory.create<NestFastifyApplication>(
    MetricsAppModule.forRoot(cfg),
    new FastifyAdapter(serverOptions(cfg.limits)),
    { logger },
  );
  await metrics.listen({ host: metricsListen.host, port: opts.metricsPort ?? metricsListen.port });

  const app = await NestFactory.create<NestFastifyApplication>(
    GatewayModule.forRoot(cfg, catalogue, configPath),
    new FastifyAdapter({ ...serverOptions(cfg.limits), ...requestLogOptions('gateway') }),
    { forceCloseConnections: true, logger, bodyParser: false },
  );
  hardenServer(app.getHttpAdapter().getInstance(), cfg.limits, ['/v1/']);
  // Every request gets the slot the key guard fills, so requests keep one shape (auth/caller.ts).
  app.getHttpAdapter().getInstance().decorateRequest('cortexCaller', null);
  const journal = app.get(RequestJournal);
  installRequestLog(
    app.getHttpAdapter().getInstance(),
    /^\/(livez|readyz|metrics|admin\/fleet|admin\/requests)(\?|$)/,
    (line) => journal.request(line),
  );
  app.enableCors(corsFor(cfg.gateway.cors_origins) as never);
  // Not SIGHUP (Nest's default list has it): SIGHUP reloads models.toml and [auth].
  if (opts.shutdownHooks !== false) app.enableShutdownHooks(['SIGTERM', 'SIGINT']);
  app.useGlobalFilters(new GlobalErrorFilter());
  await app.listen({ host: listen.host, port: opts.port ?? listen.port });
  const url = await app.getUrl();
  const metricsUrl = await metrics.getUrl();
  process.stdout.write(
    `gateway listening on ${url} (metrics ${metricsUrl}/metrics, ${cfg.neurons.length} neuron(s))\n`,
  );
  return {
    url,
    metricsUrl,
    close: async () => {
      await app.close();
      await metrics.close();
    },
  };
};

if (require.main === module) {
  const i = process.argv.indexOf('--config');
  runGateway({ config: i > 0 ? process.argv[i + 1] : undefined }).catch((err: Error) => {
    process.stderr.write(`gateway: ${err.message}\n`);
    process.exit(err.name === 'ConfigError' ? 2 : 1);
  });
}
