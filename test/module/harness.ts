/**
 * The module tier: the real GatewayModule (controllers, guards, filters, pipeline, router, evictor,
 * poller) in-process on Fastify, with the NeuronClient replaced by an in-memory fleet. Requests go
 * through Fastify's inject, so no port and no child process; what it proves is the gateway's own
 * logic, fast. The e2e tier proves the same paths against real processes.
 */
import 'reflect-metadata';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { CortexConfig, ModelsConfig, hardenServer, parseToml } from '@app/core';
import { Catalogue } from '../../apps/gateway/src/config/catalogue';
import { GlobalErrorFilter } from '../../apps/gateway/src/errors/global-error.filter';
import { GatewayModule } from '../../apps/gateway/src/gateway.module';
import { NeuronClient } from '../../apps/gateway/src/upstream/neuron-client';
import { FakeNeuronClient } from './fake-neuron-client';

export interface Harness {
  app: NestFastifyApplication;
  client: FakeNeuronClient;
  post(path: string, body: unknown, headers?: Record<string, string>): Promise<Reply>;
  get(path: string, headers?: Record<string, string>): Promise<Reply>;
  close(): Promise<void>;
}

/* eslint-disable @typescript-eslint/no-explicit-any -- tests read answers of many dialects' shapes */
export interface Reply {
  status: number;
  headers: Record<string, unknown>;
  text: string;
  json(): any;
  /** The `data:` payloads of an event stream, parsed where they are JSON. */
  events(): any[];
}
/* eslint-enable @typescript-eslint/no-explicit-any */

function reply(r: { statusCode: number; headers: Record<string, unknown>; payload: string }): Reply {
  return {
    status: r.statusCode,
    headers: r.headers,
    text: r.payload,
    json: () => JSON.parse(r.payload),
    events: () =>
      r.payload
        .split('\n')
        .filter((l) => l.startsWith('data: '))
        .map((l) => l.slice(6))
        .map((d) => {
          try {
            return JSON.parse(d);
          } catch {
            return d;
          }
        }),
  };
}

/** `gateway`: more keys of [gateway]; `extra`: more tables of cortex.toml. */
export async function gatewayHarness(
  client: FakeNeuronClient,
  models = '',
  extra = '',
  gateway = '',
): Promise<Harness> {
  const neurons = [...client.nodes.keys()].map((n) => `[[neurons]]\nname = "${n}"\nendpoint = "http://${n}.invalid"\n`);
  const cfg = parseToml(
    `[gateway]\nlisten = "127.0.0.1:0"\n${gateway}\n[poller]\ninterval_ms = 600000\nunhealthy_after = 1\n${extra}\n${neurons.join('\n')}`,
    CortexConfig,
    'cortex.toml (module test)',
  );
  const catalogue = new Catalogue(parseToml(models, ModelsConfig, 'models.toml (module test)'));
  const moduleRef = await Test.createTestingModule({ imports: [GatewayModule.forRoot(cfg, catalogue)] })
    .overrideProvider(NeuronClient)
    .useValue(client)
    .compile();
  const app = moduleRef.createNestApplication<NestFastifyApplication>(new FastifyAdapter(), {
    logger: false,
    bodyParser: false,
  });
  // The body parser and limits main.ts installs: the same 400s, and the raw text kept for pass-through.
  hardenServer(app.getHttpAdapter().getInstance(), cfg.limits, ['/v1/']);
  app.getHttpAdapter().getInstance().decorateRequest('cortexCaller', null);
  app.useGlobalFilters(new GlobalErrorFilter());
  await app.init();
  const fastify = app.getHttpAdapter().getInstance();
  await fastify.ready();
  return {
    app,
    client,
    post: async (url, body, headers = {}) =>
      reply(
        await fastify.inject({
          method: 'POST',
          url,
          payload: body as object,
          headers: { 'content-type': 'application/json', ...headers },
        }),
      ),
    get: async (url, headers = {}) => reply(await fastify.inject({ method: 'GET', url, headers })),
    close: () => app.close(),
  };
}
