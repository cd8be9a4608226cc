/** The principal a neuron reads from the gateway's headers: believed only when trusted, every odd value made safe. */
import { describe, expect, it } from 'vitest';
import { ANONYMOUS, MAX_SHARE, principalOf } from './principal';

describe(principalOf.name, () => {
  it('reads account and share from a trusted gateway', () => {
    expect(principalOf({ 'x-cortex-account-id': 'team', 'x-cortex-share': '2.5' }, true)).toEqual({
      account: 'team',
      share: 2.5,
    });
    expect(principalOf({ 'x-cortex-account-id': 'team' }, true)).toEqual({ account: 'team', share: 1 });
  });

  it('believes nothing untrusted, and nothing odd', () => {
    expect(principalOf({ 'x-cortex-account-id': 'team', 'x-cortex-share': '50' }, false)).toBe(ANONYMOUS);
    expect(principalOf({}, true)).toBe(ANONYMOUS);
    expect(principalOf({ 'x-cortex-account-id': '' }, true)).toBe(ANONYMOUS);
    expect(principalOf({ 'x-cortex-account-id': ['a', 'b'] }, true)).toBe(ANONYMOUS);
    expect(principalOf({ 'x-cortex-account-id': 'x'.repeat(257) }, true)).toBe(ANONYMOUS);
  });

  it.each(['0', '-3', 'NaN', 'Infinity', 'lots', '', '1e999'])('share %j is 1', (share) => {
    expect(principalOf({ 'x-cortex-account-id': 't', 'x-cortex-share': share }, true).share).toBe(1);
  });

  it('caps a share at MAX_SHARE', () => {
    expect(principalOf({ 'x-cortex-account-id': 't', 'x-cortex-share': '1e9' }, true).share).toBe(MAX_SHARE);
  });
});
