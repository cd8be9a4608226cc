/**
 * Small structural checks for request bodies that name the failing field (`messages[1].content[0].text:
 * expected a string`), so bad input is a 400 in the caller's dialect rather than a crash downstream.
 */
import { TranslationError } from './errors';

export type Json = Record<string, unknown>;

export function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `${typeof value} ${JSON.stringify(value)}`;
}

export function invalid(path: string, what: string, got: unknown): TranslationError {
  return new TranslationError('invalid_request', `${path}: expected ${what}, got ${describe(got)}`, path);
}

export function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function obj(v: unknown, path: string): Json {
  if (!isObject(v)) throw invalid(path, 'an object', v);
  return v;
}

export function str(v: unknown, path: string): string {
  if (typeof v !== 'string') throw invalid(path, 'a string', v);
  return v;
}

export function arr(v: unknown, path: string): unknown[] {
  if (!Array.isArray(v)) throw invalid(path, 'an array', v);
  return v;
}

export function optNum(v: unknown, path: string, min = -Infinity, max = Infinity): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) {
    const range = max === Infinity ? `a number >= ${min}` : `a number from ${min} to ${max}`;
    throw invalid(path, range, v);
  }
  return v;
}

export function int(v: unknown, path: string, min: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) throw invalid(path, `an integer >= ${min}`, v);
  return v;
}

export function optBool(v: unknown, path: string): boolean | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'boolean') throw invalid(path, 'true or false', v);
  return v;
}
