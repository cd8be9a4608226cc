/**
 * OpenAI routes through the fleet: the body is forwarded as sent (model rewritten when an alias was
 * used) and the answer streamed back chunk for chunk. A client disconnect aborts the neuron's work;
 * an upstream failure mid-stream ends the stream with an error frame, never a fake finish.
 */
import { Injectable, Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { CortexError, SseStream, openAIError } from '@app/core';
import { toCortexError } from '../http/error.filters';
import { type Dispatch, ForwardService } from './forward.service';
import { StreamObserver } from './stream-observer';

export function requireModel(body: unknown): { body: Record<string, unknown>; model: string } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new CortexError('invalid_body', 'body: expected a JSON object', { param: 'body' });
  }
  const b = body as Record<string, unknown>;
  if (typeof b.model !== 'string' || !b.model) {
    throw new CortexError('missing_model_field', "model: expected the model's name (a non-empty string)", {
      param: 'model',
    });
  }
  return { body: b, model: b.model };
}

/** An AbortSignal that fires when the client goes away before the response is complete. */
export function clientGone(reply: FastifyReply): AbortSignal {
  const ac = new AbortController();
  reply.raw.on('close', () => {
    if (!reply.raw.writableFinished) ac.abort();
  });
  return ac.signal;
}

@Injectable()
export class OpenAIProxyService {
  private readonly log = new Logger('OpenAI');

  constructor(private readonly forward: ForwardService) {}

  async handle(path: string, raw: unknown, req: FastifyRequest, reply: FastifyReply): Promise<void> {
    const { body, model } = requireModel(raw);
    const signal = clientGone(reply);
    let sse: SseStream | undefined;
    const startSse = () => (sse ??= new SseStream(reply, this.forward.sseOptions()));
    let d: Dispatch;
    try {
      d = await this.forward.dispatch(
        'openai',
        path,
        model,
        body,
        req.headers,
        signal,
        body.stream === true ? startSse : undefined,
      );
    } catch (err) {
      if (!sse) throw err;
      return sse.end(`data: ${JSON.stringify(errorBody(err))}\n\n`);
    }
    const obs = new StreamObserver();
    const streaming = String(d.upstream.headers['content-type'] ?? '').includes('text/event-stream');
    if (!streaming) {
      const text = await d.upstream.body.text();
      let parsed: unknown = text;
      try {
        parsed = JSON.parse(text);
        obs.observeJson(parsed);
      } catch {
        // passed through as text
      }
      this.forward.finish(d, obs);
      if (sse)
        return sse.end(
          `data: ${JSON.stringify(d.upstream.status >= 400 ? parsed : errorBody(new Error('upstream did not stream')))}\n\n`,
        );
      const retry = d.upstream.headers['retry-after'];
      if (retry) void reply.header('retry-after', retry);
      await reply
        .status(d.upstream.status)
        .header('content-type', d.upstream.headers['content-type'] ?? 'application/json')
        .send(text);
      return;
    }
    const out = startSse();
    let failure: string | undefined;
    try {
      for await (const chunk of d.upstream.body) {
        obs.feed(chunk as Buffer);
        await out.write(chunk as Buffer);
      }
    } catch (err) {
      if (!signal.aborted) {
        failure = 'upstream_stream';
        this.log.warn(`stream from ${d.route.node.name} broke mid-response: ${(err as Error).message}`);
        await out.write(
          `data: ${JSON.stringify(openAIError('upstream', `the neuron ${d.route.node.name} failed mid-stream: ${(err as Error).message}`, null, 'upstream_stream_error'))}\n\n`,
        );
      } else failure = 'client_disconnect';
    }
    this.forward.finish(d, obs, failure);
    out.end();
  }
}

function errorBody(err: unknown) {
  return toCortexError(err).toOpenAI();
}
