/**
 * The Responses streaming translator: fed OpenAI chat chunks, it emits Responses events, each with a
 * sequence_number rising by one from 0.
 * - response.created and response.in_progress come first; exactly one of response.completed,
 *   response.incomplete (cut by max_output_tokens) or response.failed comes last.
 * - Each output item opens with response.output_item.added and closes with response.output_item.done:
 *   a thought as a reasoning item (reasoning_summary_text deltas), text as a message item
 *   (output_text deltas), each tool call as a function_call item (function_call_arguments deltas).
 *   With `liveTools` (cortex neurons stream one call at a time) calls stream as they are generated;
 *   without it, calls are gathered per index (an upstream may interleave their fragments) and
 *   emitted whole when the model turn ends, so no interleaving can garble their arguments.
 * - An upstream error, or EOF before a finish_reason, ends with response.failed, never a fake completion.
 */
import type { OpenAIChatChunk, OpenAIFinishReason, OpenAIToolCallDelta, OpenAIUsage } from '../openai.types';
import {
  type ResponseContext,
  callItem,
  ending,
  fallbackCallId,
  itemId,
  messageItem,
  reasoningItem,
  responseSkeleton,
  responseUsage,
} from '../responses/responses-output';
import type { ItemStatus, OutputItem, ResponseObject, ResponseStreamEvent } from '../responses/responses.types';

interface OpenItem {
  kind: 'reasoning' | 'message' | 'call';
  index: number;
  id: string;
  text: string;
  /** Calls: the neuron's index, call id and name. */
  key?: number;
  callId?: string;
  name?: string;
}

export function responsesFrame(event: ResponseStreamEvent): string {
  return `event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`;
}

export class ResponsesStreamTranslator {
  private state: 'idle' | 'open' | 'finished' = 'idle';
  private seq = 0;
  private readonly output: OutputItem[] = [];
  private current: OpenItem | null = null;
  private readonly closedCalls = new Set<number>();
  private calls = 0;
  private messages = 0;
  /** Whitespace-only text not yet shown: it becomes a message only if real text or nothing else follows. */
  private pendingSpace = '';
  private finish: OpenAIFinishReason | undefined;
  private usage: OpenAIUsage | null = null;
  /** Non-fatal oddities for the caller to log. */
  readonly warnings: string[] = [];
  /** The final response once the stream has ended (completed, incomplete or failed). */
  result: ResponseObject | null = null;

  /** Calls gathered whole (not live): the neuron's index → call id, name and arguments so far. */
  private readonly gathered = new Map<number, { id: string; name: string; args: string }>();

  constructor(
    private readonly ctx: ResponseContext,
    private readonly opts: { liveTools?: boolean } = { liveTools: true },
  ) {}

  get finished(): boolean {
    return this.state === 'finished';
  }

  start(): ResponseStreamEvent[] {
    if (this.state !== 'idle') return [];
    this.state = 'open';
    return [
      this.event('response.created', { response: responseSkeleton(this.ctx) }),
      this.event('response.in_progress', { response: responseSkeleton(this.ctx) }),
    ];
  }

  push(chunk: OpenAIChatChunk): ResponseStreamEvent[] {
    if (this.state === 'finished') return [];
    const events = this.start();
    if (chunk.usage) this.usage = chunk.usage;
    for (const choice of chunk.choices ?? []) {
      if (choice.index !== undefined && choice.index !== 0) continue;
      const delta = choice.delta ?? {};
      if (typeof delta.reasoning_content === 'string' && delta.reasoning_content) {
        events.push(...this.delta('reasoning', delta.reasoning_content));
      }
      if (typeof delta.content === 'string' && delta.content) events.push(...this.delta('message', delta.content));
      for (const call of delta.tool_calls ?? []) {
        if (this.opts.liveTools) events.push(...this.call(call));
        else this.gather(call);
      }
      if (choice.finish_reason) this.finish = choice.finish_reason;
    }
    return events;
  }

  /** `[DONE]` or the upstream closed: the terminal event for how the model stopped, or a failure. */
  end(): ResponseStreamEvent[] {
    if (this.state === 'finished') return [];
    if (this.finish === undefined)
      return this.fail('upstream_stream_error', 'upstream stream ended before the model finished');
    const events = this.start();
    const end = ending(this.finish);
    events.push(...this.flushGathered());
    events.push(...this.close(end.status === 'incomplete' ? 'incomplete' : 'completed'));
    if (!this.messages && !this.calls) {
      const space = this.pendingSpace;
      events.push(...(space ? this.append('message', space) : this.open('message')));
      events.push(...this.close(end.status === 'incomplete' ? 'incomplete' : 'completed'));
    }
    this.state = 'finished';
    this.result = { ...responseSkeleton(this.ctx), ...end, output: [...this.output], usage: responseUsage(this.usage) };
    const type = end.status === 'incomplete' ? 'response.incomplete' : 'response.completed';
    events.push(this.event(type, { response: this.result }));
    return events;
  }

  /** Ends the stream with response.failed, keeping the items finished so far. */
  fail(code: string, message: string): ResponseStreamEvent[] {
    if (this.state === 'finished') return [];
    const events = this.start();
    this.state = 'finished';
    // The item cut short keeps what it had, marked incomplete.
    if (this.current) this.output[this.current.index] = { ...this.build(this.current), status: 'incomplete' };
    this.result = {
      ...responseSkeleton(this.ctx),
      status: 'failed',
      error: { code, message },
      output: [...this.output],
      usage: this.usage ? responseUsage(this.usage) : null,
    };
    events.push(this.event('response.failed', { response: this.result }));
    return events;
  }

  private event(type: string, body: Record<string, unknown>): ResponseStreamEvent {
    return { type, sequence_number: this.seq++, ...body };
  }

  private delta(kind: 'reasoning' | 'message', text: string): ResponseStreamEvent[] {
    if (kind === 'message' && this.current?.kind !== 'message') {
      // The newline between a thought and a tool call is not an answer (the non-streamed one drops it too).
      if (!(this.pendingSpace + text).trim()) {
        this.pendingSpace += text;
        return [];
      }
      text = this.pendingSpace + text;
    }
    this.pendingSpace = '';
    return this.append(kind, text);
  }

  private append(kind: 'reasoning' | 'message', text: string): ResponseStreamEvent[] {
    const events = this.current?.kind === kind ? [] : [...this.close('completed'), ...this.open(kind)];
    const c = this.current!;
    c.text += text;
    const at = { item_id: c.id, output_index: c.index };
    if (kind === 'reasoning')
      events.push(this.event('response.reasoning_summary_text.delta', { ...at, summary_index: 0, delta: text }));
    else events.push(this.event('response.output_text.delta', { ...at, content_index: 0, delta: text, logprobs: [] }));
    return events;
  }

  private open(kind: 'reasoning' | 'message'): ResponseStreamEvent[] {
    const index = this.output.length;
    const id = itemId(this.ctx.id, kind === 'reasoning' ? 'rs' : 'msg', index);
    this.current = { kind, index, id, text: '' };
    const at = { item_id: id, output_index: index };
    if (kind === 'reasoning') {
      const item = { id, type: 'reasoning', status: 'in_progress', summary: [] };
      this.output.push(item as OutputItem);
      return [
        this.event('response.output_item.added', { output_index: index, item }),
        this.event('response.reasoning_summary_part.added', {
          ...at,
          summary_index: 0,
          part: { type: 'summary_text', text: '' },
        }),
      ];
    }
    this.messages++;
    const item = messageItem(this.ctx, index, '', false);
    this.output.push(item);
    return [
      this.event('response.output_item.added', { output_index: index, item }),
      this.event('response.content_part.added', {
        ...at,
        content_index: 0,
        part: { type: 'output_text', text: '', annotations: [] },
      }),
    ];
  }

  private call(call: OpenAIToolCallDelta): ResponseStreamEvent[] {
    const key = typeof call.index === 'number' ? call.index : this.calls;
    if (this.closedCalls.has(key)) {
      this.warnings.push(`tool call ${key}: a fragment arrived after its item closed; dropped`);
      return [];
    }
    const events: ResponseStreamEvent[] = [];
    this.pendingSpace = '';
    if (this.current?.kind !== 'call' || this.current.key !== key) {
      events.push(...this.close('completed'));
      const index = this.output.length;
      const callId = call.id || fallbackCallId(this.ctx.id, this.calls);
      const name = call.function?.name ?? '';
      this.calls++;
      const item = callItem(this.ctx, index, callId, name, '', false);
      this.current = { kind: 'call', index, id: item.id, text: '', key, callId, name };
      this.output.push(item);
      events.push(this.event('response.output_item.added', { output_index: index, item }));
    }
    const fragment = call.function?.arguments;
    if (fragment) {
      const c = this.current!;
      c.text += fragment;
      events.push(
        this.event('response.function_call_arguments.delta', { item_id: c.id, output_index: c.index, delta: fragment }),
      );
    }
    return events;
  }

  private gather(call: OpenAIToolCallDelta): void {
    const key = typeof call.index === 'number' ? call.index : this.gathered.size;
    const g = this.gathered.get(key) ?? { id: '', name: '', args: '' };
    if (call.id) g.id = call.id;
    if (call.function?.name) g.name += call.function.name;
    if (call.function?.arguments) g.args += call.function.arguments;
    this.gathered.set(key, g);
  }

  /** Each gathered call as a whole item, in index order: added, one arguments delta, done. */
  private flushGathered(): ResponseStreamEvent[] {
    const events: ResponseStreamEvent[] = [];
    for (const [key, g] of [...this.gathered].sort(([a], [b]) => a - b)) {
      const head = { index: key, id: g.id || undefined, function: { name: g.name, arguments: '' } };
      events.push(...this.call(head), ...(g.args ? this.call({ index: key, function: { arguments: g.args } }) : []));
    }
    this.gathered.clear();
    return events;
  }

  /** Closes the open item: its .done events, then response.output_item.done with the whole item. */
  private close(status: ItemStatus): ResponseStreamEvent[] {
    const c = this.current;
    if (!c) return [];
    this.current = null;
    const item = { ...this.build(c), status };
    const at = { item_id: c.id, output_index: c.index };
    const events: ResponseStreamEvent[] = [];
    if (c.kind === 'reasoning') {
      const part = { type: 'summary_text', text: c.text };
      events.push(
        this.event('response.reasoning_summary_text.done', { ...at, summary_index: 0, text: c.text }),
        this.event('response.reasoning_summary_part.done', { ...at, summary_index: 0, part }),
      );
    } else if (c.kind === 'message') {
      const part = { type: 'output_text', text: c.text, annotations: [] };
      events.push(
        this.event('response.output_text.done', { ...at, content_index: 0, text: c.text, logprobs: [] }),
        this.event('response.content_part.done', { ...at, content_index: 0, part }),
      );
    } else {
      this.closedCalls.add(c.key!);
      events.push(
        this.event('response.function_call_arguments.done', {
          ...at,
          name: this.ctx.names.toClient(c.name!).name,
          arguments: c.text,
        }),
      );
    }
    this.output[c.index] = item;
    events.push(this.event('response.output_item.done', { output_index: c.index, item }));
    return events;
  }

  /** The whole item as it stands. */
  private build(c: OpenItem): OutputItem {
    if (c.kind === 'reasoning') return reasoningItem(this.ctx, c.index, c.text);
    if (c.kind === 'message') return messageItem(this.ctx, c.index, c.text);
    return callItem(this.ctx, c.index, c.callId!, c.name!, c.text);
  }
}
