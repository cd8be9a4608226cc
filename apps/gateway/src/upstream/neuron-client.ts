/**
 * The only code that talks HTTP to neurons (undici). Every call takes an AbortSignal or a timeout;
 * streams are handed back as raw bodies so the gateway can pass them through chunk for chunk.
 */
import { Injectable } from '@nestjs/common';
import { Agent, request } from 'undici';
import type { NeuronDevice, NeuronModel, NodeState } from '../poller/fleet.types';

export class UpstreamError extends Error {
  constructor(
    readonly node: string,
    readonly status: number | null,
    readonly body: unknown,
    message: string,
  ) {
    super(message);
  }

  /** No HTTP answer at all (refused, reset, timeout): the request never reached the neuron. */
  get connection(): boolean {
    return this.status === null;
  }
}

export interface UpstreamBody extends AsyncIterable<Buffer> {
  text(): Promise<string>;
}

export interface UpstreamResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: UpstreamBody;
}

/** A response whose body was already read (to inspect an error), readable again. */
export function bufferedResponse(status: number, headers: UpstreamResponse['headers'], text: string): UpstreamResponse {
  return {
    status,
    headers,
    body: {
      text: async () => text,
      async *[Symbol.asyncIterator]() {
        yield Buffer.from(text);
      },
    },
  };
}

// Long generations stream for minutes: no total timeout, only a generous idle (body) timeout;
// neurons send `: ping` comments every second, so idle really means dead.
const agent = new Agent({
  keepAliveTimeout: 30_000,
  headersTimeout: 0,
  bodyTimeout: 300_000,
  connect: { timeout: 5_000 },
});

@Injectable()
export class NeuronClient {
  private headers(node: NodeState, extra: Record<string, string> = {}): Record<string, string> {
    return {
      'content-type': 'application/json',
      ...(node.token ? { authorization: `Bearer ${node.token}` } : {}),
      ...extra,
    };
  }

  async getJson<T>(node: NodeState, path: string, timeoutMs: number): Promise<T> {
    return this.json<T>(node, 'GET', path, undefined, AbortSignal.timeout(timeoutMs));
  }

  async postJson<T>(node: NodeState, path: string, body: unknown, signal?: AbortSignal): Promise<T> {
    return this.json<T>(node, 'POST', path, body, signal);
  }

  private async json<T>(
    node: NodeState,
    method: 'GET' | 'POST',
    path: string,
    body: unknown,
    signal?: AbortSignal,
  ): Promise<T> {
    let res;
    try {
      res = await request(`${node.endpoint}${path}`, {
        method,
        headers: this.headers(node),
        body: body === undefined ? undefined : JSON.stringify(body),
        signal,
        dispatcher: agent,
      });
    } catch (err) {
      throw new UpstreamError(node.name, null, null, `${node.name} ${method} ${path}: ${(err as Error).message}`);
    }
    const text = await res.body.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      // keep the text
    }
    if (res.statusCode >= 400) {
      const msg = (parsed as { error?: { message?: string } })?.error?.message ?? text.slice(0, 300);
      throw new UpstreamError(
        node.name,
        res.statusCode,
        parsed,
        `${node.name} ${method} ${path}: HTTP ${res.statusCode}: ${msg}`,
      );
    }
    return parsed as T;
  }

  /** POSTs an inference request and returns the response as it starts (status, headers, body stream). */
  async forward(
    node: NodeState,
    path: string,
    body: unknown,
    headers: Record<string, string>,
    signal: AbortSignal,
  ): Promise<UpstreamResponse> {
    try {
      const res = await request(`${node.endpoint}${path}`, {
        method: 'POST',
        headers: this.headers(node, headers),
        body: JSON.stringify(body),
        signal,
        dispatcher: agent,
      });
      return { status: res.statusCode, headers: res.headers, body: res.body };
    } catch (err) {
      throw new UpstreamError(node.name, null, null, `${node.name} POST ${path}: ${(err as Error).message}`);
    }
  }

  discovery(node: NodeState, timeoutMs: number) {
    return this.getJson<{ name: string; devices: NeuronDevice[] }>(node, '/discovery', timeoutMs);
  }

  models(node: NodeState, timeoutMs: number) {
    return this.getJson<{ data: NeuronModel[] }>(node, '/models', timeoutMs);
  }

  health(node: NodeState, timeoutMs: number) {
    return this.getJson<{ devices: NeuronDevice[] }>(node, '/health', timeoutMs);
  }
}
