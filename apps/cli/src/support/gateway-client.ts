/**
 * The CLI's HTTP client for a running gateway (status, models and the admin API). Sends the key
 * from --key or CORTEX_API_KEY; gateway errors become one-line UsageErrors.
 */
import { Injectable } from '@nestjs/common';
import { request } from 'undici';
import { UsageError } from './cli-error';

export interface Target {
  endpoint?: string;
  key?: string;
}

/** The gateway a command talks to: --endpoint, else CORTEX_ENDPOINT, else the local default. */
export function endpointOf(target: Target): string {
  return (target.endpoint ?? process.env.CORTEX_ENDPOINT ?? 'http://127.0.0.1:31313').replace(/\/+$/, '');
}

/** The key a command sends: --key, else CORTEX_API_KEY (none: anonymous). */
export function keyOf(target: Target): string | undefined {
  return target.key ?? process.env.CORTEX_API_KEY;
}

@Injectable()
export class GatewayClient {
  async call<T>(target: Target, method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
    const base = endpointOf(target);
    const key = keyOf(target);
    let res;
    try {
      res = await request(`${base}${path}`, {
        method,
        headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (err) {
      throw new UsageError(`cannot reach the gateway at ${base}: ${(err as Error).message}`);
    }
    const text = await res.body.text();
    const parsed = text ? (JSON.parse(text) as unknown) : null;
    if (res.statusCode >= 400) {
      const msg = (parsed as { error?: { message?: string } })?.error?.message ?? text;
      throw new UsageError(`gateway answered ${res.statusCode}: ${msg}`);
    }
    return parsed as T;
  }
}
