/**
 * What the pipeline learns from an OpenAI answer as it passes (each payload parsed once, by the
 * pipeline): the time of the first generated token — text, thought or tool call (TTFT, not the role
 * chunk) — the last one, the usage the neuron reports at the end, and whether it carried an error.
 */
export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  prompt_tokens_details?: { cached_tokens?: number };
  completion_tokens_details?: { reasoning_tokens?: number };
}

type Choice = { delta?: { content?: string; reasoning_content?: string; tool_calls?: unknown[] }; text?: string };

export class StreamObserver {
  firstTokenAt: number | null = null;
  lastTokenAt: number | null = null;
  usage: Usage | null = null;
  sawError = false;

  observe(obj: unknown): void {
    if (!obj || typeof obj !== 'object') return;
    const o = obj as Record<string, unknown>;
    if (o.error) this.sawError = true;
    if (o.usage) this.usage = o.usage as Usage;
    const choice = (o.choices as Choice[] | undefined)?.[0];
    const d = choice?.delta;
    // The first generated token of any kind: text, a thought, or a tool call.
    if (d?.content || d?.reasoning_content || d?.tool_calls?.length || choice?.text) {
      const now = performance.now();
      this.firstTokenAt ??= now;
      this.lastTokenAt = now;
    }
  }
}
