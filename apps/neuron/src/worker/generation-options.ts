/** The options node-llama-cpp's chat and completion calls take, from a request's sampling params and tools. */
import type { SamplingParams, WorkerTool } from '@app/core';
import type { ChatModelFunctions } from './engine-types';

type Thought = { type: 'segment'; segmentType: string; text: string };
const isThought = (r: unknown): r is Thought => {
  const seg = r as { type?: string; segmentType?: string } | null;
  return typeof r === 'object' && seg?.type === 'segment' && seg.segmentType === 'thought';
};

/** The text of the thought segments in a response, or undefined when the model did not think. */
export function thoughtsOf(full: ReadonlyArray<unknown>): string | undefined {
  const thoughts = full.filter(isThought).map((s) => s.text);
  return thoughts.length ? thoughts.join('\n') : undefined;
}

/**
 * Whitespace right after a thought (Qwen's "</think>\n\n") belongs to the thought's markup, not to
 * the answer, as the family's own template strips it when it renders the turn back; clients would
 * print it as blank lines. One rule for a whole answer and for a stream's chunks.
 */
export class AfterThought {
  private pending = false;

  thought(): void {
    this.pending = true;
  }

  /** The text of `chunk` that is the answer's. */
  text(chunk: string): string {
    if (!this.pending) return chunk;
    const t = chunk.trimStart();
    if (t) this.pending = false;
    return t;
  }
}

/** The answer's text out of a response's segments (see AfterThought). */
export function answerText(full: ReadonlyArray<unknown>): string {
  const after = new AfterThought();
  let text = '';
  for (const r of full) {
    if (isThought(r)) after.thought();
    else if (typeof r === 'string') text += after.text(r);
  }
  return text;
}

export function toFunctions(tools: WorkerTool[] | undefined): ChatModelFunctions | undefined {
  if (!tools?.length) return undefined;
  return Object.fromEntries(
    tools.map((t) => [t.name, { description: t.description, params: t.parameters as never }]),
  ) as ChatModelFunctions;
}

/** The sampling and streaming options chat and completion generations share. */
export function generationOptions(
  p: SamplingParams,
  maxTokens: number,
  signal: AbortSignal,
  counter: { onText(text: string): void; onToken(tokens: readonly unknown[]): void },
) {
  return {
    maxTokens,
    temperature: p.temperature,
    topP: p.topP,
    topK: p.topK,
    seed: p.seed,
    signal,
    stopOnAbortSignal: true,
    customStopTriggers: p.stop?.length ? p.stop : undefined,
    repeatPenalty: penalties(p.presencePenalty, p.frequencyPenalty),
    onTextChunk: counter.onText,
    onToken: counter.onToken,
  };
}

function penalties(presence?: number, frequency?: number) {
  if (!presence && !frequency) return undefined;
  return { presencePenalty: presence ?? 0, frequencyPenalty: frequency ?? 0, penalty: 1 };
}
