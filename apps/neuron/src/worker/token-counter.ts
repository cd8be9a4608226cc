/**
 * One generation's token accounting in the worker: it streams text chunks to the parent, measures
 * TTFT and decode time, and — from the sequence's token meter, which sees every token evaluated
 * (prompt batches, text, thoughts and tool-call arguments alike; node-llama-cpp calls onToken for
 * text only) — counts completion tokens and tells the supervisor at most every 100 ms that work
 * goes on, so a long tool call is never taken for a hang.
 */
import type { ChildToParent } from '@app/core';
import type { LlamaContextSequence } from './engine-types';
import { AfterThought } from './generation-options';

/** How often, at most, a generation tells the supervisor it is alive. */
const ALIVE_EVERY_MS = 100;

/** A tool call's id, the same whether it is streamed or returned whole. */
export const callId = (reqId: string, index: number) => `call_${reqId.replace(/[^a-zA-Z0-9]/g, '')}_${index}`;

interface ResponseChunk {
  type?: string;
  segmentType?: string;
  text: string;
  tokens: readonly unknown[];
}

interface ParamsChunk {
  callIndex: number;
  functionName: string;
  paramsChunk: string;
}

export class TokenCounter {
  private readonly started = performance.now();
  private readonly out0: number;
  private first = 0;
  private textTokens = 0;
  private seen = -1;
  private thoughtTokens = 0;
  private readonly afterThought = new AfterThought();
  private readonly calls = new Set<number>();
  /** Each streamed call's function name, so a call cut short can still be answered whole. */
  private readonly names = new Map<number, string>();
  /** Each call's argument text as streamed, so a non-streamed answer returns the same text. */
  private readonly args = new Map<number, string>();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly reqId: string,
    private readonly seq: LlamaContextSequence,
    private readonly send: (msg: ChildToParent) => void,
    /** Test fault `silent`: withhold text chunks, as a tool call's tokens make none. */
    private readonly silent = false,
  ) {
    this.out0 = seq.tokenMeter.usedOutputTokens;
    this.timer = setInterval(() => this.tick(), ALIVE_EVERY_MS);
  }

  private get generated(): number {
    return this.seq.tokenMeter.usedOutputTokens - this.out0;
  }

  private tick(): void {
    const meter = this.seq.tokenMeter;
    const work = meter.usedInputTokens + meter.usedOutputTokens;
    if (work === this.seen) return;
    this.seen = work;
    this.send({ type: 'alive', reqId: this.reqId, tokens: this.generated });
  }

  readonly onToken = (t: readonly unknown[]): void => {
    if (this.textTokens === 0) this.first = performance.now();
    this.textTokens += t.length;
  };

  readonly onText = (chunk: string): void => {
    const text = this.afterThought.text(chunk);
    if (!text) return;
    if (!this.silent) this.send({ type: 'chunk', reqId: this.reqId, text, tokens: this.textTokens });
  };

  /** Thought segments (node-llama-cpp's segmentation of the model's template) stream as thoughts. */
  readonly onResponseChunk = (c: ResponseChunk): void => {
    if (c.type !== 'segment' || c.segmentType !== 'thought') return;
    this.thoughtTokens += c.tokens.length;
    this.afterThought.thought();
    if (c.text && !this.silent)
      this.send({ type: 'chunk', reqId: this.reqId, text: c.text, tokens: 0, kind: 'thought' });
  };

  /**
   * A tool call streams as it is generated: its id and name once, then each argument fragment
   * (the blank lines node-llama-cpp uses to end the arguments are left out).
   */
  readonly onFunctionCallParamsChunk = (c: ParamsChunk): void => {
    const call = { type: 'call' as const, reqId: this.reqId, index: c.callIndex, id: callId(this.reqId, c.callIndex) };
    if (!this.calls.has(c.callIndex)) {
      this.calls.add(c.callIndex);
      this.names.set(c.callIndex, c.functionName);
      this.send({ ...call, name: c.functionName, args: '' });
    }
    if (!c.paramsChunk.trim()) return;
    this.args.set(c.callIndex, (this.args.get(c.callIndex) ?? '') + c.paramsChunk);
    this.send({ ...call, name: c.functionName, args: c.paramsChunk });
  };

  /** The argument text call `index` streamed, when it is the JSON of `params`; else the JSON itself. */
  argumentsOf(index: number, params: unknown): string {
    const streamed = this.args.get(index);
    const json = JSON.stringify(params ?? {});
    try {
      if (streamed !== undefined && JSON.stringify(JSON.parse(streamed)) === json) return streamed;
    } catch {
      // not JSON as streamed: the parsed params are what the call means
    }
    return json;
  }

  /**
   * Calls streamed from index `from` on that node-llama-cpp did not return (max_tokens cut them
   * mid-arguments): their name and the argument text so far, as the stream showed them.
   */
  partialCalls(from: number): Array<{ index: number; name: string; args: string }> {
    return [...this.calls]
      .filter((i) => i >= from)
      .sort((a, b) => a - b)
      .map((index) => ({ index, name: this.names.get(index) ?? '', args: this.args.get(index) ?? '' }));
  }

  get reasoningTokens(): number {
    return this.thoughtTokens;
  }

  stop(): void {
    clearInterval(this.timer);
  }

  totals() {
    const now = performance.now();
    return {
      completionTokens: Math.max(this.textTokens, this.generated),
      ttftMs: this.first ? this.first - this.started : now - this.started,
      decodeMs: this.first ? now - this.first : 0,
    };
  }
}
