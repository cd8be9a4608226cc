/**
 * class-validator decorators for the OpenAI request shapes that are unions (content, stop, tools,
 * tool_choice, response_format), with `expected …, got …` messages like the config files'.
 */
import { customValidator as custom } from '@app/core';

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export const NumberIn = (min: number, max: number): PropertyDecorator =>
  custom(
    `numberIn${min}_${max}`,
    `a number from ${min} to ${max}`,
    (v) => typeof v === 'number' && v >= min && v <= max,
  )();

export const IsInteger = custom('isInteger', 'an integer', (v) => Number.isInteger(v));

const isPart = (p: unknown): boolean =>
  isObj(p) &&
  ((p.type === 'text' && typeof p.text === 'string') ||
    (p.type === 'image_url' && (typeof p.image_url === 'string' || isObj(p.image_url))) ||
    p.type === 'input_audio' ||
    p.type === 'file');

export const IsMessageContent = custom(
  'isMessageContent',
  'a string, an array of content parts ({type: "text", text}), or null',
  (v) => v === null || v === undefined || typeof v === 'string' || (Array.isArray(v) && v.every(isPart)),
);

export const IsStop = custom(
  'isStop',
  'a string or an array of up to 16 strings',
  (v) => typeof v === 'string' || (Array.isArray(v) && v.length <= 16 && v.every((s) => typeof s === 'string')),
);

const isToolCall = (c: unknown): boolean =>
  isObj(c) && typeof c.id === 'string' && isObj(c.function) && typeof c.function.name === 'string';

export const IsToolCalls = custom(
  'isToolCalls',
  'an array of {id, type: "function", function: {name, arguments}}',
  (v) => Array.isArray(v) && v.every(isToolCall),
);

const isTool = (t: unknown): boolean =>
  isObj(t) &&
  (t.type === undefined || t.type === 'function') &&
  isObj(t.function) &&
  typeof t.function.name === 'string' &&
  /^[a-zA-Z0-9_-]{1,64}$/.test(t.function.name) &&
  (t.function.parameters === undefined || isObj(t.function.parameters));

export const IsTools = custom(
  'isTools',
  'an array of {type: "function", function: {name (a-z, 0-9, _ or -), description?, parameters?}}',
  (v) => Array.isArray(v) && v.every(isTool),
);

export const IsToolChoice = custom(
  'isToolChoice',
  '"auto", "none", "required" or {type: "function", function: {name}}',
  (v) =>
    v === 'auto' ||
    v === 'none' ||
    v === 'required' ||
    (isObj(v) && v.type === 'function' && isObj(v.function) && typeof v.function.name === 'string'),
);

export const IsResponseFormat = custom(
  'isResponseFormat',
  '{type: "text"}, {type: "json_object"} or {type: "json_schema", json_schema: {schema}}',
  (v) =>
    isObj(v) &&
    (v.type === 'text' ||
      v.type === 'json_object' ||
      (v.type === 'json_schema' && isObj(v.json_schema) && isObj(v.json_schema.schema))),
);

export const IsEmbeddingInput = custom(
  'isEmbeddingInput',
  'a string or an array of strings',
  (v) => typeof v === 'string' || (Array.isArray(v) && v.length > 0 && v.every((s) => typeof s === 'string')),
);

export const IsList = custom('isList', 'an array', (v) => Array.isArray(v));

/** A field cortex refuses rather than ignore silently: only `false` (or leaving it out) is accepted. */
export const IsFalse = custom('isFalse', 'false (not supported)', (v) => v === false || v === null);

/** A field cortex does not support at all: it must be left out. */
export const IsAbsent = custom('isAbsent', 'nothing (not supported)', (v) => v === undefined || v === null);

/** `n`: one choice per request (several would need several sequences per request). */
export const IsOne = custom('isOne', '1 (one choice per request is served)', (v) => v === 1 || v === null);

export const IsText = custom('isText', 'a string', (v) => typeof v === 'string');
