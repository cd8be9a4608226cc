/**
 * SSE framing for both dialects and an incremental parser for upstream OpenAI streams (split on blank
 * lines, `data:` lines only, comments ignored). Pure string work; the gateway owns the sockets.
 */
import type { AnthropicStreamEvent } from '../anthropic.types';

export function anthropicFrame(event: AnthropicStreamEvent): string {
  return `event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`;
}

export function openAIFrame(payload: unknown): string {
  return `data: ${typeof payload === 'string' ? payload : JSON.stringify(payload)}\n\n`;
}

export type SseItem = { kind: 'data'; data: string } | { kind: 'done' };

/** Feed it text as it arrives; it returns every complete `data:` payload (`[DONE]` as `done`). */
export class SseParser {
  private buffer = '';

  push(text: string): SseItem[] {
    this.buffer = (this.buffer + text).replace(/\r\n/g, '\n');
    const items: SseItem[] = [];
    let cut: number;
    while ((cut = this.buffer.indexOf('\n\n')) >= 0) {
      const frame = this.buffer.slice(0, cut);
      this.buffer = this.buffer.slice(cut + 2);
      const data = frame
        .split('\n')
        .filter((line) => line.startsWith('data:'))
        .map((line) => line.slice(5).replace(/^ /, ''))
        .join('\n');
      if (!data) continue;
      items.push(data === '[DONE]' ? { kind: 'done' } : { kind: 'data', data });
    }
    return items;
  }
}
