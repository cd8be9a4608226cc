/**
 * Runs authentication on API and admin routes. Client-supplied x-cortex-account-id/x-cortex-key-id
 * headers are always stripped, then re-stamped from the key (they are forwarded to neurons). Admin
 * routes also see where the request came from (AuthService). API requests then pass the key's limits.
 */
import { type CanActivate, type ExecutionContext, Injectable, SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { KeyLimitService } from '../limits/key-limit.service';
import { AuthService } from './auth.service';

export const ADMIN_ROUTE = 'cortex:admin';
export const AdminRoute = () => SetMetadata(ADMIN_ROUTE, true);

@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(
    private readonly auth: AuthService,
    private readonly reflector: Reflector,
    private readonly limits: KeyLimitService,
  ) {}

  canActivate(ctx: ExecutionContext): boolean {
    const req = ctx.switchToHttp().getRequest<FastifyRequest>();
    delete req.headers['x-cortex-account-id'];
    delete req.headers['x-cortex-key-id'];
    const admin = this.reflector.getAllAndOverride<boolean>(ADMIN_ROUTE, [ctx.getHandler(), ctx.getClass()]) ?? false;
    const principal = this.auth.authenticate(req.headers, admin, req.socket.remoteAddress);
    if (principal) {
      req.headers['x-cortex-account-id'] = principal.accountId;
      req.headers['x-cortex-key-id'] = principal.keyId;
      // Per-key limits apply to the API, not to admin actions.
      const dialect = req.url.startsWith('/v1/messages') ? 'anthropic' : 'openai';
      if (!admin) this.limits.admit(principal.keyId, ctx.switchToHttp().getResponse<FastifyReply>(), dialect);
    }
    return true;
  }
}
