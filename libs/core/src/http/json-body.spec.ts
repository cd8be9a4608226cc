import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CortexError } from '../errors';
import { checkParsed, parseJsonBody } from './json-body';

const refusal = (text: string, depth = 64): CortexError => {
  try {
    parseJsonBody(text, depth);
  } catch (err) {
    return err as CortexError;
  }
  throw new Error('expected a refusal');
};

describe(parseJsonBody.name, () => {
  it('measures nesting without recursion, ignoring brackets inside strings', () => {
    const depth = (text: string, max = Infinity) => checkParsed(JSON.parse(text), max).depth;
    expect(depth('{"a":[1,{"b":"[[[[{{{{"}]}')).toBe(3);
    expect(depth('"\\"[["')).toBe(0);
    expect(depth('[[],{},[[1]]]')).toBe(3);
    expect(depth('['.repeat(200_000) + ']'.repeat(200_000))).toBe(200_000);
    expect(depth('['.repeat(200_000) + ']'.repeat(200_000), 64)).toBe(65); // stops once over the limit
  });

  it('refuses a 200,000-deep body as json_too_deep before anything recursive walks it', () => {
    const e = refusal('{"model":"m","x":' + '['.repeat(200_000) + ']'.repeat(200_000) + '}');
    expect(e).toMatchObject({ code: 'json_too_deep', status: 400, param: 'body' });
  });

  it.each([
    ['{"__proto__":{"x":1}}', '__proto__'],
    ['{"a":{"constructor":{"prototype":{"x":1}}}}', 'a.constructor'],
    ['{"messages":[{"role":"user","prototype":1}]}', 'messages[0].prototype'],
  ])('refuses prototype-named keys: %s', (text, path) => {
    expect(refusal(text)).toMatchObject({ code: 'forbidden_key', param: path, status: 400 });
  });

  it('keeps prototype names as values and parses valid bodies as JSON.parse does', () => {
    expect(parseJsonBody('{"tool_choice":{"type":"__proto__"}}', 64)).toEqual({ tool_choice: { type: '__proto__' } });
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 6 }), (v) => {
        const text = JSON.stringify(v);
        if (checkParsed(JSON.parse(text), Infinity).forbidden !== null) return;
        expect(parseJsonBody(text, 64)).toEqual(JSON.parse(text));
      }),
    );
  });

  it('says what is wrong with text that is not JSON', () => {
    expect(refusal('{"a":')).toMatchObject({ code: 'invalid_json', status: 400 });
  });
});
