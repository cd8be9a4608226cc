/**
 * API keys from cortex.toml [auth] (or resolved by an entitlement authority, when there is one),
 * accepted as `Authorization: Bearer` or `x-api-key`. With
 * require_auth off, a missing or unknown key is served anonymously (clients such as Open WebUI send
 * placeholder keys). Admin routes need a key marked `admin = true`; while no such key exists they
 * answer only requests from this machine that no proxy forwarded.
 */
import { Inject, Injectable } from '@nestjs/common';
import { type AuthKey, type CortexConfig, CortexError, isLocalRequest, presentedKey, sameSecret } from '@app/core';
import { GATEWAY_CONFIG } from '../config/gateway.tokens';
import { type AuthorityPrincipal, EntitlementAuthority, authorityDown } from '../entitlements/entitlement-authority';

export interface Principal {
  accountId: string;
  keyId: string;
  /** The account's weight in the neurons' fair share of seats. */
  share: number;
  /** Resolved by the entitlement authority: its budgets are the authority's. */
  authority?: true;
}

type Headers = Record<string, string | string[] | undefined>;

const missing = () =>
  new CortexError('invalid_api_key', "missing API key; send 'Authorization: Bearer <key>' or 'x-api-key: <key>'");

@Injectable()
export class AuthService {
  constructor(
    @Inject(GATEWAY_CONFIG) private readonly cfg: CortexConfig,
    private readonly authority: EntitlementAuthority,
  ) {}

  /**
   * The caller's principal as `authenticate` finds it, except that an API key cortex.toml does not
   * know is asked of the entitlement authority when there is one (admin keys are always local). A
   * key it refuses is handled like an unknown local key; an authority that cannot answer is a 503.
   */
  async principal(headers: Headers, admin = false, remoteAddress?: string): Promise<Principal | null> {
    const key = admin || !this.authority.enabled ? undefined : presentedKey(headers);
    if (key === undefined || this.lookup(key)) return this.authenticate(headers, admin, remoteAddress);
    let found: AuthorityPrincipal | null;
    try {
      found = await this.authority.resolve(key);
    } catch {
      throw authorityDown();
    }
    if (found) return { ...found, authority: true };
    if (this.cfg.auth.require_auth) throw this.invalid();
    return null;
  }

  /** Read per request: a reload may add or remove admin keys. */
  private get hasAdminKeys(): boolean {
    return this.cfg.auth.keys.some((k) => k.admin);
  }

  private lookup(key: string): AuthKey | undefined {
    return this.cfg.auth.keys.find((k) => sameSecret(k.key, key));
  }

  /** The caller's principal, null for anonymous, or a 401/403 when the key is required, bad or not admin. */
  authenticate(headers: Headers, admin = false, remoteAddress?: string): Principal | null {
    const key = presentedKey(headers);
    const found = key === undefined ? undefined : this.lookup(key);
    if (admin) return this.admin(found, key !== undefined, isLocalRequest(remoteAddress, headers));
    if (!found) {
      if (this.cfg.auth.require_auth) throw key === undefined ? missing() : this.invalid();
      return null;
    }
    return principalOf(found);
  }

  private admin(found: AuthKey | undefined, presented: boolean, local: boolean): Principal | null {
    if (found?.admin) return principalOf(found);
    if (!this.hasAdminKeys && local) return found ? principalOf(found) : null;
    if (found) throw new CortexError('permission_denied', 'this key may not use /admin (it needs admin = true)');
    if (presented) throw this.invalid();
    if (!this.hasAdminKeys) {
      throw new CortexError(
        'permission_denied',
        '/admin answers only on this machine until a key with admin = true is configured',
      );
    }
    throw missing();
  }

  private invalid(): CortexError {
    return new CortexError('invalid_api_key', 'invalid API key');
  }
}

function principalOf(k: AuthKey): Principal {
  return { accountId: k.account_id, keyId: k.key_id ?? k.account_id, share: k.share };
}
