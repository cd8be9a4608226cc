/**
 * API keys from cortex.toml [auth], accepted as `Authorization: Bearer` or `x-api-key`. With
 * require_auth off, a missing or unknown key is served anonymously (clients such as Open WebUI send
 * placeholder keys); admin routes always need a valid key once any key is configured.
 */
import { timingSafeEqual } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { AuthKey, CortexConfig } from '@app/core';
import { GatewayError } from '../gateway-error';
import { GATEWAY_CONFIG } from '../gateway.tokens';

export interface Principal {
  accountId: string;
  keyId: string;
}

type Headers = Record<string, string | string[] | undefined>;

const first = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v[0] : v);

export function presentedKey(headers: Headers): string | undefined {
  const bearer = /^bearer\s+(.*)$/i.exec(first(headers.authorization)?.trim() ?? '')?.[1]?.trim();
  const key = bearer || first(headers['x-api-key'])?.trim();
  return key ? key : undefined;
}

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

@Injectable()
export class AuthService {
  constructor(@Inject(GATEWAY_CONFIG) private readonly cfg: CortexConfig) {}

  private lookup(key: string): AuthKey | undefined {
    return this.cfg.auth.keys.find((k) => same(k.key, key));
  }

  /** The caller's principal, null for anonymous, or a 401 when the key is required or bad. */
  authenticate(headers: Headers, admin = false): Principal | null {
    const key = presentedKey(headers);
    const required = this.cfg.auth.require_auth || (admin && this.cfg.auth.keys.length > 0);
    if (!key) {
      if (required) {
        throw new GatewayError(
          'auth',
          "missing API key; send 'Authorization: Bearer <key>' or 'x-api-key: <key>'",
          'invalid_api_key',
        );
      }
      return null;
    }
    const found = this.lookup(key);
    if (!found) {
      if (required) throw new GatewayError('auth', 'invalid API key', 'invalid_api_key');
      return null;
    }
    return { accountId: found.account_id, keyId: found.key_id ?? found.account_id };
  }
}
