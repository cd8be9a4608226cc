import { describe, expect, it } from 'vitest';
import { UpstreamError, classifyFailure } from './upstream-error';

const live = new AbortController().signal;
const fired = AbortSignal.abort();
const err = (code: string) => Object.assign(new Error(code), { code });

describe(UpstreamError.name, () => {
  it('counts only failures before the request reached the neuron as connect failures', () => {
    for (const c of ['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'UND_ERR_CONNECT_TIMEOUT'])
      expect(classifyFailure(err(c), live), c).toBe('connect');
    expect(classifyFailure(Object.assign(new Error('fetch failed'), { cause: err('ECONNREFUSED') }), live)).toBe(
      'connect',
    );
    expect(classifyFailure(err('UND_ERR_SOCKET'), live)).toBe('broken');
    expect(classifyFailure(err('ECONNRESET'), live)).toBe('broken');
    expect(classifyFailure(new RangeError('Maximum call stack size exceeded'), live)).toBe('broken');
    expect(classifyFailure(err('UND_ERR_HEADERS_TIMEOUT'), live)).toBe('timeout');
    expect(classifyFailure(new Error('aborted'), fired)).toBe('timeout');
    expect(classifyFailure(new Error('aborted'), live, fired)).toBe('aborted');
  });

  it('maps each failure to the caller’s error: 502 connect, 504 timeout, the neuron’s own code over HTTP', () => {
    expect(new UpstreamError('n', 'connect', 'refused').toCortexError()).toMatchObject({
      code: 'upstream_connection_error',
      status: 502,
      retryAfterS: 2,
    });
    expect(new UpstreamError('n', 'timeout', 'slow').toCortexError()).toMatchObject({
      code: 'upstream_timeout',
      status: 504,
    });
    const busy = new UpstreamError('n', 'http', 'x', 409, {
      error: { message: 'busy', code: 'model_busy', param: 'id' },
    });
    expect(busy.toCortexError()).toMatchObject({ code: 'model_busy', status: 409, param: 'id', message: 'busy' });
    const queued = new UpstreamError('n', 'http', 'x', 503, { error: { message: 'q', code: 'queue_timeout' } }, 4);
    expect(queued.toCortexError()).toMatchObject({ code: 'queue_timeout', status: 503, retryAfterS: 4 });
    const bogus = new UpstreamError('n', 'http', 'x', 500, { error: { code: 'toString' } });
    expect(bogus.code).toBeNull();
    expect(bogus.toCortexError()).toMatchObject({ code: 'upstream_error', status: 502 });
    const token = new UpstreamError('n', 'http', 'x', 401, { error: { code: 'invalid_api_key' } });
    expect(token.toCortexError()).toMatchObject({ code: 'upstream_error', status: 502 });
    expect(token.toCortexError().message).toMatch(/refused the gateway's credentials/);
  });
});
