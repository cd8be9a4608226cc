/** SseStream over a real Fastify server on 127.0.0.1: headers kept, pings, backpressure, one end. */
import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { type SseOptions, SseStream } from './sse-stream';

let app: FastifyInstance | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

async function serve(
  route: (sse: SseStream, reply: FastifyReply) => Promise<void> | void,
  pingMs = 1000,
  extra: SseOptions = {},
): Promise<string> {
  app = Fastify({ forceCloseConnections: true });
  app.get('/s', (_req, reply) => {
    void reply.header('access-control-allow-origin', '*');
    void route(new SseStream(reply, { pingFrame: () => ': keepalive\n\n', pingMs, ...extra }), reply);
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  return `http://127.0.0.1:${(app.server.address() as AddressInfo).port}/s`;
}

describe('SseStream', () => {
  it('keeps headers set before the hijack, sends frames in order, pings while idle and ends once', async () => {
    let pinged!: () => void;
    const ping = new Promise<void>((r) => (pinged = r));
    const url = await serve(
      async (sse) => {
        void sse.data({ n: 1 });
        await ping; // idle until the stream has pinged
        void sse.data({ n: 2 });
        sse.end('data: [DONE]\n\n');
        sse.end('data: second end\n\n');
        await sse.write('after end');
      },
      50,
      {
        pingFrame: () => {
          pinged();
          return ': keepalive\n\n';
        },
      },
    );
    const res = await fetch(url);
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    const text = await res.text();
    expect(text.startsWith('data: {"n":1}\n\n')).toBe(true);
    expect(text).toContain(': keepalive\n\n');
    expect(text.endsWith('data: {"n":2}\n\ndata: [DONE]\n\n')).toBe(true);
    expect(text).not.toContain('second end');
  });

  it('holds a write until a slow client reads, then resolves', async () => {
    const chunk = 'data: ' + 'x'.repeat(1 << 20) + '\n\n';
    let settled = 0;
    let writes = 0;
    let closeListeners = 0;
    const done = new Promise<void>((resolve) => {
      void serve(async (sse, reply) => {
        for (; writes < 64; writes++) {
          const started = Date.now();
          await sse.write(chunk);
          if (Date.now() - started > 100) settled++;
        }
        closeListeners = reply.raw.listenerCount('close');
        sse.end();
        resolve();
      }).then((url) => {
        const req = request(url, (res) => {
          res.pause();
          setTimeout(() => res.resume(), 400); // read nothing for 400 ms
          res.on('data', () => undefined);
        });
        req.end();
      });
    });
    await done;
    expect(writes).toBe(64);
    expect(settled).toBeGreaterThan(0); // at least one write waited for 'drain'
    expect(closeListeners).toBeLessThan(5); // waiting for 'drain' leaves no listener behind
  });

  it('stops writing and pinging once the client has gone', async () => {
    let afterClose: boolean | undefined;
    let routeDone!: () => void;
    const done = new Promise<void>((r) => (routeDone = r));
    const url = await serve(async (sse, reply) => {
      await new Promise((r) => reply.raw.once('close', r)); // the client went away
      afterClose = sse.open;
      await sse.write('data: lost\n\n'); // resolves at once, throws nothing
      routeDone();
    }, 20);
    const ac = new AbortController();
    const res = await fetch(url, { signal: ac.signal });
    expect(res.status).toBe(200);
    ac.abort();
    await done;
    expect(afterClose).toBe(false);
  });

  it('drops a client that reads nothing for stallMs, with one drain waiter and no pings while blocked', async () => {
    const chunk = 'data: ' + 'y'.repeat(256 * 1024) + '\n\n';
    let drainListeners = -1;
    let pingsWhileBlocked = 0;
    const dropped: string[] = [];
    let closedAt = 0;
    let startedAt = 0;
    const finished = new Promise<void>((resolve) => {
      void serve(
        async (sse, reply) => {
          startedAt = Date.now();
          reply.raw.on('close', () => {
            closedAt = Date.now();
            resolve();
          });
          const origWrite = reply.raw.write.bind(reply.raw);
          reply.raw.write = ((f: string | Buffer, ...rest: never[]) => {
            if (String(f).startsWith(': keepalive') && reply.raw.writableNeedDrain) pingsWhileBlocked++;
            return origWrite(f, ...rest);
          }) as typeof reply.raw.write;
          // A writer that cannot pause (like a token stream): 40 writes without awaiting.
          for (let i = 0; i < 40; i++) void sse.write(chunk);
          drainListeners = reply.raw.listenerCount('drain');
        },
        20,
        { stallMs: 300, maxBufferedBytes: 64 * 1024 * 1024, onDrop: (r) => dropped.push(r) },
      ).then((url) => {
        const req = request(url, (res) => res.pause()); // never reads
        req.on('error', () => undefined);
        req.end();
      });
    });
    await finished;
    expect(drainListeners).toBe(1);
    expect(pingsWhileBlocked).toBe(0);
    expect(dropped).toEqual(['stalled']);
    expect(closedAt - startedAt).toBeGreaterThanOrEqual(250);
  });

  it('drops a client that falls more than maxBufferedBytes behind', async () => {
    const dropped: string[] = [];
    const closed = new Promise<void>((resolve) => {
      void serve(
        (sse, reply) => {
          reply.raw.on('close', () => resolve());
          for (let i = 0; i < 64; i++) void sse.write('data: ' + 'z'.repeat(64 * 1024) + '\n\n');
        },
        1000,
        { stallMs: 60_000, maxBufferedBytes: 1024 * 1024, onDrop: (r) => dropped.push(r) },
      ).then((url) => {
        const req = request(url, (res) => res.pause());
        req.on('error', () => undefined);
        req.end();
      });
    });
    await closed;
    expect(dropped).toEqual(['too_far_behind']);
  });
});
