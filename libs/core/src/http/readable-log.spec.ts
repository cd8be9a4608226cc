import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { readableLine, readableLogs, readableStream } from './readable-log';

describe('readable logs', () => {
  it('are chosen on a terminal, or when asked; JSON stays off a terminal or when asked', () => {
    expect(readableLogs({}, true)).toBe(true);
    expect(readableLogs({}, false)).toBe(false);
    expect(readableLogs({ CORTEX_LOG_FORMAT: 'json' }, true)).toBe(false);
    expect(readableLogs({ CORTEX_LOG_FORMAT: 'pretty' }, false)).toBe(true);
  });

  it('write a request as one line: what, where, how long, how many tokens', () => {
    const line = JSON.stringify({
      level: 30,
      time: '2026-12-03T16:30:01.123Z',
      app: 'gateway',
      request_id: 'req_1',
      msg: 'request',
      method: 'POST',
      route: '/v1/chat/completions',
      status: 200,
      duration_ms: 41.7,
      model: 'tiny-chat',
      node: 'local',
      prompt_tokens: 12,
      completion_tokens: 32,
      ttft_ms: 9,
    });
    expect(readableLine(line)).toBe(
      '16:30:01 gateway POST /v1/chat/completions 200 42 ms tiny-chat@local tokens 12→32 ttft 9 ms',
    );
    const failed = JSON.stringify({
      level: 30,
      time: '2026-12-03T16:30:02.000Z',
      app: 'neuron',
      msg: 'request',
      method: 'POST',
      route: '/v1/chat/completions',
      status: 400,
      duration_ms: 3,
      error: 'context_length_exceeded',
    });
    expect(readableLine(failed)).toBe(
      '16:30:02 neuron POST /v1/chat/completions 400 3 ms error context_length_exceeded',
    );
  });

  it('write other lines with their level when it is not info, and pass non-JSON through', () => {
    const warn = JSON.stringify({
      level: 40,
      time: '2026-12-03T16:30:03.000Z',
      app: 'gateway',
      msg: 'neuron n is UNHEALTHY',
      node: 'n',
    });
    expect(readableLine(warn)).toBe('16:30:03 gateway WARN neuron n is UNHEALTHY node=n');
    expect(readableLine('plain text')).toBe('plain text');
  });

  it('turn a stream of JSON lines, split anywhere, into readable lines', async () => {
    const out = new PassThrough();
    const chunks: string[] = [];
    out.on('data', (d: Buffer) => chunks.push(d.toString()));
    const s = readableStream(out);
    const a = JSON.stringify({ level: 30, time: '2026-12-03T16:30:04.000Z', app: 'gateway', msg: 'hello' });
    s.write(a.slice(0, 10));
    s.write(`${a.slice(10)}\n${a}`);
    s.write('\n');
    await new Promise((r) => setImmediate(r));
    expect(chunks.join('')).toBe('16:30:04 gateway hello\n16:30:04 gateway hello\n');
  });
});
