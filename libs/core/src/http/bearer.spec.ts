import { describe, expect, it } from 'vitest';
import { isLocalRequest, isLoopbackHost, presentedKey, sameSecret } from './bearer';

describe('credentials', () => {
  it('reads Bearer (any case, trimmed) before x-api-key, and x-api-key only when allowed', () => {
    expect(presentedKey({ authorization: 'bearer  k1 ' })).toBe('k1');
    expect(presentedKey({ authorization: 'Bearer k1', 'x-api-key': 'k2' })).toBe('k1');
    expect(presentedKey({ 'x-api-key': 'k2' })).toBe('k2');
    expect(presentedKey({ 'x-api-key': 'k2' }, false)).toBeUndefined();
    expect(presentedKey({ authorization: 'Bearer ' })).toBeUndefined();
    expect(presentedKey({ authorization: 'Basic abc' })).toBeUndefined();
  });

  it('compares secrets of any length without throwing', () => {
    expect(sameSecret('abc', 'abc')).toBe(true);
    expect(sameSecret('abc', 'abcd')).toBe(false);
    expect(sameSecret('', 'x')).toBe(false);
  });

  it('tells loopback from the network, and a proxied request from a local one', () => {
    for (const h of ['127.0.0.1', '127.1.2.3', '::1', 'localhost', '::ffff:127.0.0.1'])
      expect(isLoopbackHost(h), h).toBe(true);
    for (const h of ['0.0.0.0', '::', '10.0.0.1', 'gpu-a', '192.168.1.2']) expect(isLoopbackHost(h), h).toBe(false);
    expect(isLocalRequest('127.0.0.1', {})).toBe(true);
    expect(isLocalRequest('127.0.0.1', { 'x-forwarded-for': '203.0.113.9' })).toBe(false);
    expect(isLocalRequest('10.0.0.5', {})).toBe(false);
  });
});
