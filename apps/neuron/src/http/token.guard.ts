/**
 * With `token` set, every route of the neuron (inference, lifecycle, health, discovery, metrics)
 * needs `Authorization: Bearer <token>`; only the orchestrator probes /livez and /readyz, marked
 * @Public(), answer without it. Without a token the neuron listens on loopback only (NeuronConfig).
 */
import { type CanActivate, type ExecutionContext, Inject, Injectable, SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { CortexError, type NeuronConfig, presentedKey, sameSecret } from '@app/core';
import { NEURON_CONFIG } from '../config/neuron.tokens';

const PUBLIC_ROUTE = 'cortex:public';
export const Public = () => SetMetadata(PUBLIC_ROUTE, true);

@Injectable()
export class TokenGuard implements CanActivate {
  constructor(
    @Inject(NEURON_CONFIG) private readonly cfg: NeuronConfig,
    private readonly reflector: Reflector,
  ) {}

  canActivate(ctx: ExecutionContext): boolean {
    const token = this.cfg.token;
    if (!token) return true;
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_ROUTE, [ctx.getHandler(), ctx.getClass()])) return true;
    const given = presentedKey(ctx.switchToHttp().getRequest<FastifyRequest>().headers, false);
    if (given && sameSecret(given, token)) return true;
    throw new CortexError(
      'invalid_api_key',
      given ? 'invalid token' : "this neuron needs 'Authorization: Bearer <token>' (its neuron.toml token)",
    );
  }
}
