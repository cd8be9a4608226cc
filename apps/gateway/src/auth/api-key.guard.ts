/**
 * Runs authentication on API and admin routes and puts the caller its key names on the request (the
 * pipeline tells neurons the account and key from there, never from headers a client sent). Admin
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

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    const req = ctx.switchToHttp().getRequest<FastifyRequest>();
    const admin = this.reflector.getAllAndOverride<boolean>(ADMIN_ROUTE, [ctx.getHandler(), ctx.getClass()]) ?? false;
    const principal = await this.auth.principal(req.headers, admin, req.socket.remoteAddress);
    if (principal) {
      // Per-key limits apply to the API, not to admin actions.
      const dialect = req.url.startsWith('/v1/messages') ? 'anthropic' : 'openai';
      const reply = ctx.switchToHttp().getResponse<FastifyReply>();
      const charge = admin ? undefined : await this.limits.admit(principal.keyId, reply, dialect);
      req.cortexCaller = {
        accountId: principal.accountId,
        keyId: principal.keyId,
        share: principal.share,
        authority: principal.authority ?? false,
        charge: charge ?? (() => undefined),
      };
    }
    return true;
  }
}
