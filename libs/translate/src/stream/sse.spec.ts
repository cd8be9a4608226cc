import { describe, expect, it } from 'vitest';
import { SseParser, anthropicFrame, openAIFrame } from './sse';

describe(SseParser.name, () => {
  it('yields data payloads split across arbitrary chunk boundaries, skipping comments', () => {
    const sut = new SseParser();
    const wire = ': ping\n\ndata: {"a":1}\n\r\ndata: {"b":\ndata: 2}\n\ndata: [DONE]\n\n';
    const items = [...wire].flatMap((ch) => sut.push(ch));
    expect(items).toEqual([{ kind: 'data', data: '{"a":1}' }, { kind: 'data', data: '{"b":\n2}' }, { kind: 'done' }]);
  });

  it('frames both dialects', () => {
    expect(openAIFrame({ x: 1 })).toBe('data: {"x":1}\n\n');
    expect(openAIFrame('[DONE]')).toBe('data: [DONE]\n\n');
    expect(anthropicFrame({ type: 'ping' })).toBe('event: ping\ndata: {"type":"ping"}\n\n');
  });
});
