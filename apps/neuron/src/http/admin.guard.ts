/** With `admin_token` set, lifecycle routes need `Authorization: Bearer <admin_token>`. */
import { timingSafeEqual } from 'node:crypto';
import { type CanActivate, type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { NeuronConfig } from '@app/core';
import { NEURON_CONFIG } from '../neuron.tokens';
import { NeuronHttpError } from './neuron-http-error';

@Injectable()
export class AdminGuard implements CanActivate {
  constructor(@Inject(NEURON_CONFIG) private readonly cfg: NeuronConfig) {}

  canActivate(ctx: ExecutionContext): boolean {
    const token = this.cfg.admin_token;
    if (!token) return true;
    const header = ctx.switchToHttp().getRequest<FastifyRequest>().headers.authorization ?? '';
    const given = /^bearer\s+(.+)$/i.exec(header.trim())?.[1]?.trim() ?? '';
    const a = Buffer.from(given);
    const b = Buffer.from(token);
    if (a.length === b.length && timingSafeEqual(a, b)) return true;
    throw new NeuronHttpError(
      401,
      'invalid_request_error',
      'lifecycle routes need Authorization: Bearer <admin_token>',
      'invalid_api_key',
    );
  }
}
