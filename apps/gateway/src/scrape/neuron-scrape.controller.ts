/**
 * Prometheus scrapes every neuron through the gateway's metrics port, so its configuration names
 * only the gateway: GET /prometheus/neurons is an HTTP service-discovery answer with one target per
 * [[neurons]] entry, and GET /neurons/:name/metrics passes that neuron's /metrics on, fetched with
 * the neuron's own token under the poll deadline (Prometheus never holds a neuron token). Both sit
 * behind gateway.metrics_token like /metrics.
 */
import { Controller, Get, Headers, Inject, Param, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { type CortexConfig, CortexError } from '@app/core';
import { GATEWAY_CONFIG } from '../config/gateway.tokens';
import { addressOf } from '../fleet/fleet.types';
import { NeuronClient } from '../upstream/neuron-client';

/** A Host header worth echoing as a scrape target (host or [v6], and a port). */
const HOST = /^(?:[A-Za-z0-9.-]{1,253}|\[[0-9A-Fa-f:.]{2,45}\])(?::\d{1,5})?$/;

@Controller()
export class NeuronScrapeController {
  constructor(
    @Inject(GATEWAY_CONFIG) private readonly cfg: CortexConfig,
    private readonly client: NeuronClient,
  ) {}

  /** Prometheus http_sd: every neuron, scraped at this address under its own path, labelled by name. */
  @Get('prometheus/neurons')
  targets(@Headers('host') host: string | undefined) {
    if (!host || !HOST.test(host)) {
      throw new CortexError('invalid_body', 'host: expected the address Prometheus reached this port by', {
        param: 'host',
      });
    }
    return this.cfg.neurons.map((n) => ({
      targets: [host],
      labels: { __metrics_path__: `/neurons/${encodeURIComponent(n.name)}/metrics`, neuron: n.name },
    }));
  }

  @Get('neurons/:name/metrics')
  async scrape(@Param('name') name: string, @Res() reply: FastifyReply): Promise<void> {
    const n = this.cfg.neurons.find((x) => x.name === name);
    if (!n) throw new CortexError('not_found', `no neuron '${name}' in [[neurons]]`, { param: 'name' });
    const text = await this.client.metricsText(addressOf(n), this.cfg.poller.timeout_ms);
    await reply.type('text/plain; version=0.0.4; charset=utf-8').send(text);
  }
}
