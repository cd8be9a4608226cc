/**
 * Credentials as both apps read them: a bearer token (or x-api-key) from the headers, compared in
 * constant time, and whether a request comes from this machine.
 */
import { timingSafeEqual } from 'node:crypto';

type Headers = Record<string, string | string[] | undefined>;

const first = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v[0] : v);

/** `Authorization: Bearer <key>`, else `x-api-key: <key>`; undefined when neither carries one. */
export function presentedKey(headers: Headers, allowApiKeyHeader = true): string | undefined {
  const bearer = /^bearer\s+(.*)$/i.exec(first(headers.authorization)?.trim() ?? '')?.[1]?.trim();
  const key = bearer || (allowApiKeyHeader ? first(headers['x-api-key'])?.trim() : undefined);
  return key ? key : undefined;
}

export function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|::ffff:127\.\d+\.\d+\.\d+)$/;

export function isLoopbackAddress(address: string | undefined): boolean {
  return !!address && LOOPBACK.test(address);
}

/** A host a server may listen on without exposing itself beyond this machine. */
export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || isLoopbackAddress(host);
}

/**
 * A request from this machine that no proxy forwarded: a reverse proxy on the same host would
 * otherwise make every remote caller look local.
 */
export function isLocalRequest(remoteAddress: string | undefined, headers: Headers): boolean {
  return isLoopbackAddress(remoteAddress) && !headers['x-forwarded-for'] && !headers.forwarded && !headers['x-real-ip'];
}
