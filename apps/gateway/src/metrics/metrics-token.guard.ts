/** With gateway.metrics_token set, /metrics needs `Authorization: Bearer <metrics_token>` (Prometheus sends it). */
import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { CortexError, presentedKey, sameSecret } from '@app/core';

@Injectable()
export class MetricsTokenGuard implements CanActivate {
  constructor(private readonly token: string | undefined) {}

  canActivate(ctx: ExecutionContext): boolean {
    if (!this.token) return true;
    const given = presentedKey(ctx.switchToHttp().getRequest<FastifyRequest>().headers, false);
    if (given && sameSecret(given, this.token)) return true;
    throw new CortexError('invalid_api_key', "metrics need 'Authorization: Bearer <gateway.metrics_token>'");
  }
}
