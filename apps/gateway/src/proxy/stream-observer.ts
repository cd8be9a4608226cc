/**
 * Watches an OpenAI response as it passes through (SSE or JSON) without changing a byte: the time of
 * the first generated token — text, thought or tool call (TTFT, not the role chunk) — and the usage
 * the neuron reports at the end.
 */
import { SseParser } from '@app/translate';

export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  prompt_tokens_details?: { cached_tokens?: number };
}

export class StreamObserver {
  private readonly parser = new SseParser();
  private readonly decoder = new TextDecoder();
  firstTokenAt: number | null = null;
  lastTokenAt: number | null = null;
  usage: Usage | null = null;
  sawError = false;

  feed(chunk: Buffer): void {
    for (const item of this.parser.push(this.decoder.decode(chunk, { stream: true }))) {
      if (item.kind !== 'data') continue;
      try {
        this.observe(JSON.parse(item.data) as Record<string, unknown>);
      } catch {
        // not JSON: passed through untouched, nothing to learn
      }
    }
  }

  observeJson(body: unknown): void {
    if (body && typeof body === 'object') this.observe(body as Record<string, unknown>);
  }

  private observe(obj: Record<string, unknown>): void {
    if (obj.error) this.sawError = true;
    if (obj.usage) this.usage = obj.usage as Usage;
    type Choice = { delta?: { content?: string; reasoning_content?: string; tool_calls?: unknown[] }; text?: string };
    const choice = (obj.choices as Choice[])?.[0];
    const d = choice?.delta;
    // The first generated token of any kind: text, a thought, or a tool call.
    const content = d?.content || d?.reasoning_content || d?.tool_calls?.length || choice?.text;
    if (content) {
      const now = performance.now();
      this.firstTokenAt ??= now;
      this.lastTokenAt = now;
    }
  }
}
