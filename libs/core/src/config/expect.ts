/**
 * Message helpers so every validation failure reads `expected <what>, got <value>`, and custom
 * validators for the value shapes cortex configs use (host:port, model sources, device lists).
 */
import { ValidationArguments, ValidationOptions, registerDecorator } from 'class-validator';

export function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (typeof value === 'bigint') return value.toString();
  return JSON.stringify(value) ?? String(value);
}

/** Validation options whose message is `expected <what>, got <value>`. */
export function expected(what: string, opts: ValidationOptions = {}): ValidationOptions {
  return { ...opts, message: (args: ValidationArguments) => `expected ${what}, got ${show(args.value)}` };
}

/** A class-validator decorator factory whose failure message is `expected <what>, got <value>`. */
export function customValidator(name: string, what: string, test: (value: unknown) => boolean) {
  return (opts: ValidationOptions = {}): PropertyDecorator =>
    (target, propertyName) =>
      registerDecorator({
        name,
        target: target.constructor,
        propertyName: String(propertyName),
        options: expected(what, opts),
        validator: { validate: (value: unknown) => test(value) },
      });
}

const HOST_PORT = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/;

export function parseHostPort(value: string): { host: string; port: number } {
  const m = HOST_PORT.exec(value);
  if (!m) throw new Error(`expected "host:port", got ${show(value)}`);
  return { host: m[1]!.replace(/^\[|\]$/g, ''), port: Number(m[2]) };
}

export function isHostPort(value: unknown): boolean {
  if (typeof value !== 'string') return false;
  const m = HOST_PORT.exec(value);
  return !!m && Number(m[2]) <= 65535;
}

/** A path inside the models dir (relative, no `..`), `hf:org/repo/file.gguf`, or an https URL. */
export function isModelSource(value: unknown): boolean {
  if (typeof value !== 'string' || value.length === 0) return false;
  if (value.startsWith('hf:')) return /^hf:[^/\s]+\/[^/\s]+\/\S+\.gguf$/.test(value);
  if (/^[a-z]+:\/\//i.test(value)) return /^https:\/\/\S+$/.test(value);
  return !value.startsWith('/') && !value.split(/[\\/]/).includes('..');
}

export function isDeviceList(value: unknown): boolean {
  if (value === 'auto') return true;
  if (!Array.isArray(value) || value.length === 0) return false;
  const cpu = value.filter((d) => d === 'cpu').length;
  const gpus = value.filter((d) => Number.isInteger(d) && (d as number) >= 0);
  return cpu + gpus.length === value.length && new Set(gpus).size === gpus.length;
}

export const IsHostPort = customValidator('isHostPort', '"host:port"', isHostPort);
export const IsModelSource = customValidator(
  'isModelSource',
  'a path inside the models dir, "hf:org/repo/file.gguf" or an https:// URL',
  isModelSource,
);
export const IsDeviceList = customValidator(
  'isDeviceList',
  '"auto", or a list of "cpu" and distinct CUDA device indexes such as ["cpu"] or [0, 1]',
  isDeviceList,
);
const positiveInt = (v: unknown) => typeof v === 'number' && Number.isInteger(v) && v >= 1;
export const IsMemoryBudget = customValidator(
  'isMemoryBudget',
  'a whole number of MB (at least 1), or a list of them, one per CPU device',
  (v) => positiveInt(v) || (Array.isArray(v) && v.length > 0 && v.length <= 256 && v.every(positiveInt)),
);
export const IsHttpUrl = customValidator(
  'isHttpUrl',
  'an http:// or https:// URL',
  (v) => typeof v === 'string' && /^https?:\/\/[^\s/]+(\/\S*)?$/.test(v),
);

/** An integer no smaller than `min` (one message instead of IsInt + Min). */
export const IntAtLeast = (min: number, opts: ValidationOptions = {}): PropertyDecorator =>
  customValidator(`intAtLeast${min}`, `an integer >= ${min}`, (v) => Number.isInteger(v) && (v as number) >= min)(opts);

export const IsShare = customValidator(
  'isShare',
  'a number > 0 and <= 100',
  (v) => typeof v === 'number' && Number.isFinite(v) && v > 0 && v <= 100,
);

export const IsNonEmptyString = customValidator(
  'isNonEmptyString',
  'a non-empty string',
  (v) => typeof v === 'string' && v.trim().length > 0,
);

export const IsStringList = customValidator(
  'isStringList',
  'a list of non-empty strings',
  (v) => Array.isArray(v) && v.every((s) => typeof s === 'string' && s.length > 0),
);

export const IsStringMap = customValidator(
  'isStringMap',
  'a table of "name" = "value" strings',
  (v) =>
    typeof v === 'object' && v !== null && !Array.isArray(v) && Object.values(v).every((s) => typeof s === 'string'),
);

export const IsTableList = customValidator('isTableList', 'an array of tables ([[…]])', (v) => Array.isArray(v));

export const IsBool = customValidator('isBool', 'true or false', (v) => typeof v === 'boolean');

export function OneOf(values: readonly string[], opts: ValidationOptions = {}): PropertyDecorator {
  const what = values.map((v) => `"${v}"`).join(' or ');
  return customValidator(`oneOf:${values.join('|')}`, what, (v) => typeof v === 'string' && values.includes(v))(opts);
}

export function EachOneOf(values: readonly string[], opts: ValidationOptions = {}): PropertyDecorator {
  const what = `a list of ${values.map((v) => `"${v}"`).join(', ')}`;
  return customValidator(
    `eachOneOf:${values.join('|')}`,
    what,
    (v) => Array.isArray(v) && v.every((s) => typeof s === 'string' && values.includes(s)),
  )(opts);
}

/** Names of entries that appear more than once. */
export function duplicates(values: readonly string[]): string[] {
  return [...new Set(values.filter((v, i) => values.indexOf(v) !== i))];
}

/** CORS origins: exact `scheme://host[:port]` values. */
export const IsOrigins = customValidator(
  'isOrigins',
  'a list of origins such as ["https://chat.example.com"]',
  (v) => Array.isArray(v) && v.every((o) => typeof o === 'string' && /^https?:\/\/[^\s/]+$/.test(o)),
);

export const IsHostList = customValidator(
  'isHostList',
  'a list of host names such as ["huggingface.co"]',
  (v) => Array.isArray(v) && v.every((h) => typeof h === 'string' && /^[A-Za-z0-9.-]+(:\d+)?$/.test(h)),
);
