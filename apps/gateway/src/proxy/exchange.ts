/**
 * One request as a dialect adapter prepared it for the pipeline: what to send the neuron, and how to
 * answer the client in its own dialect — frames for a stream, a body for a whole answer, an error
 * in a stream. Errors before a stream are thrown, and the route's filter renders them in the
 * dialect. The pipeline does everything else (scope, routing, dispatch, retry, parsing, records).
 */
import type { CortexError } from '@app/core';

export type Api = 'openai' | 'anthropic' | 'responses';

/** One upstream `data:` payload, parsed once by the pipeline (null when it is not JSON). */
export interface UpstreamData {
  raw: string;
  json: Record<string, unknown> | null;
}

export interface Exchange {
  api: Api;
  /** The neuron path: /v1/chat/completions, /v1/completions or /v1/embeddings. */
  path: string;
  /** The model as the client named it (an alias is resolved by the router). */
  model: string;
  /** The OpenAI body for the neuron; the pipeline sets `model` to the resolved id. */
  body: object;
  /**
   * The client's own text of `body`, where the adapter changed nothing: sent to the neuron as it
   * came (no re-serialising a 75 KB agent request) unless the router resolved an alias.
   */
  raw?: string;
  stream: boolean;
  /** The upstream SSE bytes go to the client as they are (OpenAI); otherwise `data` translates. */
  passThrough: boolean;
  /** The first frames of a stream, and keep-alive frames while nothing else goes out. */
  start?(): string;
  ping?(): string;
  /** One upstream payload as frames (translating adapters only). */
  data(d: UpstreamData): string;
  /** The neuron's error inside the stream, as frames. */
  fail(e: CortexError): string;
  /** `[DONE]`, or the upstream closed. */
  end(): string;
  /** A whole 2xx answer (parsed JSON) as the client's body (translating adapters only). */
  answer(body: unknown): unknown;
  /** The answer is over (stored responses keep theirs, before the client has it all). */
  done?(): void | Promise<void>;
}
