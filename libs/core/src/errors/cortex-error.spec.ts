import { describe, expect, it } from 'vitest';
import { CortexError } from './cortex-error';
import { ERROR_CODES, type ErrorCode, isErrorCode, kindOf } from './error-codes';
import { anthropicStatusOf, kindFromStatus, statusOf } from './envelopes';

describe(CortexError.name, () => {
  it('derives kind, status and both envelopes from the code', () => {
    const e = new CortexError('model_unloading', "model 'm' is being unloaded", { param: 'model', retryAfterS: 2 });
    expect(e).toMatchObject({ kind: 'overloaded', status: 503, retryAfterS: 2 });
    expect(e.toOpenAI()).toEqual({
      error: { message: "model 'm' is being unloaded", type: 'api_error', param: 'model', code: 'model_unloading' },
    });
    expect(e.toAnthropic()).toEqual({
      type: 'error',
      error: { type: 'overloaded_error', message: "model 'm' is being unloaded" },
    });
    expect(anthropicStatusOf(e.kind)).toBe(529);
  });

  it('gives every code a 4xx or 5xx status whose kind maps back to the same kind', () => {
    // A spent balance is a 429 like a rate limit: a status alone reads back as the rate limit.
    const sharing: Partial<Record<string, string>> = { quota: 'rate_limit' };
    for (const code of Object.keys(ERROR_CODES) as ErrorCode[]) {
      const status = statusOf(kindOf(code));
      expect(status >= 400 && status < 600, code).toBe(true);
      expect(kindFromStatus(status), code).toBe(sharing[kindOf(code)] ?? kindOf(code));
    }
  });

  it('recognises only contract codes, never inherited names', () => {
    expect(isErrorCode('model_not_found')).toBe(true);
    for (const v of ['toString', '__proto__', 'constructor', 'made_up', 42, null]) expect(isErrorCode(v)).toBe(false);
  });
});
