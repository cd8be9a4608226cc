import { describe, expect, it } from 'vitest';
import { CortexConfig, parseToml } from '@app/core';
import type { EntitlementAuthority } from '../entitlements/entitlement-authority';
import { AuthService } from './auth.service';

/** No entitlement authority: keys are cortex.toml's only (the authority's path is proven in e2e). */
const local = { enabled: false } as EntitlementAuthority;
const sut = (toml: string) => new AuthService(parseToml(toml, CortexConfig, 'cortex.toml'), local);
const KEYS =
  '[[auth.keys]]\nkey = "user"\naccount_id = "team"\n[[auth.keys]]\nkey = "ops"\naccount_id = "ops"\nadmin = true\n';
const bearer = (k: string) => ({ authorization: `Bearer ${k}` });
const codeOf = (f: () => unknown) => {
  try {
    f();
  } catch (err) {
    return (err as { code: string }).code;
  }
  return 'allowed';
};

describe(AuthService.name, () => {
  it('serves anonymous and unknown keys when require_auth is off, and stamps known keys', () => {
    const auth = sut(KEYS);
    expect(auth.authenticate({})).toBeNull();
    expect(auth.authenticate(bearer('placeholder'))).toBeNull();
    expect(auth.authenticate(bearer('user'))).toEqual({ accountId: 'team', keyId: 'team', share: 1 });
  });

  it('requires a known key when require_auth is on', () => {
    const auth = sut(`[auth]\nrequire_auth = true\n${KEYS}`);
    expect(codeOf(() => auth.authenticate({}))).toBe('invalid_api_key');
    expect(codeOf(() => auth.authenticate(bearer('nope')))).toBe('invalid_api_key');
    expect(codeOf(() => auth.authenticate(bearer('user')))).toBe('allowed');
  });

  it('admin: admin keys only, from anywhere; non-admin keys 403', () => {
    const auth = sut(KEYS);
    expect(codeOf(() => auth.authenticate(bearer('ops'), true, '10.0.0.9'))).toBe('allowed');
    expect(codeOf(() => auth.authenticate(bearer('user'), true, '127.0.0.1'))).toBe('permission_denied');
    expect(codeOf(() => auth.authenticate({}, true, '127.0.0.1'))).toBe('invalid_api_key');
    expect(codeOf(() => auth.authenticate(bearer('nope'), true, '127.0.0.1'))).toBe('invalid_api_key');
  });

  it('admin without any admin key: this machine only, and not through a proxy', () => {
    const auth = sut('[[auth.keys]]\nkey = "user"\naccount_id = "team"\n');
    expect(codeOf(() => auth.authenticate({}, true, '127.0.0.1'))).toBe('allowed');
    expect(codeOf(() => auth.authenticate({}, true, '::1'))).toBe('allowed');
    expect(codeOf(() => auth.authenticate({}, true, '10.0.0.9'))).toBe('permission_denied');
    expect(codeOf(() => auth.authenticate({ 'x-forwarded-for': '1.2.3.4' }, true, '127.0.0.1'))).toBe(
      'permission_denied',
    );
  });
});
