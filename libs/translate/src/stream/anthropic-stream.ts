/**
 * The streaming translator: fed OpenAI chat chunks, it emits Anthropic stream events.
 * - message_start comes first (with usage in the shape Claude Code expects), message_stop last.
 * - With thinking on, thoughts (`reasoning_content`) stream live as a thinking block (thinking_delta,
 *   then a signature_delta before it closes); with it off they are left out (still counted in usage).
 * - Text streams live as one text block per run of text.
 * - Tool calls are accumulated per OpenAI index (arguments may arrive split and interleaved) and
 *   emitted whole, each as its own tool_use block with one input_json_delta, when the model turn ends,
 *   so no interleaving can garble or drop arguments (LiteLLM #25321). With `liveTools` (an upstream
 *   that streams one call at a time, as cortex neurons do) each call streams as it is generated: its
 *   tool_use block opens on its first fragment and every argument fragment is an input_json_delta.
 * - An upstream error, or EOF before a finish_reason, ends the stream with an `error` event, never a
 *   normal-looking finish.
 */
import type { AnthropicStreamEvent, AnthropicUsage } from '../anthropic.types';
import { anthropicError, kindFromStatus, type ErrorKind } from '../errors';
import type { OpenAIChatChunk, OpenAIFinishReason, OpenAIUsage } from '../openai.types';
import { THINKING_SIGNATURE, messageId } from '../response';
import { mapStopReason } from '../stop-reason';
import { mapUsage } from '../usage';

interface PendingTool {
  id: string;
  name: string;
  args: string;
}

type State = 'idle' | 'open' | 'finished';

export interface StreamOptions {
  /** Model id to report (the one the client asked for); the chunk's model otherwise. */
  model?: string;
  /** Prompt tokens when known before the first chunk (message_start usage.input_tokens). */
  inputTokens?: number;
  /** The request enabled thinking: stream the model's thoughts as thinking blocks. */
  thinking?: boolean;
  /** The upstream streams tool calls one at a time: stream them live instead of whole at the end. */
  liveTools?: boolean;
}

export class AnthropicStreamTranslator {
  private state: State = 'idle';
  private index = 0;
  private textOpen = false;
  private thoughtOpen = false;
  /** The key of the tool call whose block is open in live mode. */
  private live: number | null = null;
  private readonly closedLive = new Set<number>();
  private readonly tools = new Map<number, PendingTool>();
  private finish: OpenAIFinishReason | undefined;
  private matchedStop: unknown;
  private usage: OpenAIUsage | null = null;
  private textDeltas = 0;
  /** Non-fatal oddities (e.g. tool arguments that are not JSON) for the caller to log. */
  readonly warnings: string[] = [];

  constructor(private readonly opts: StreamOptions = {}) {}

  get finished(): boolean {
    return this.state === 'finished';
  }

  /** Opens the message before any upstream chunk (e.g. to hold a client through a cold load). */
  start(id?: string): AnthropicStreamEvent[] {
    if (this.state !== 'idle') return [];
    this.state = 'open';
    // The shape Anthropic sends (and Claude Code reads): cache counters present, zero until known.
    const usage: AnthropicUsage = {
      input_tokens: this.opts.inputTokens ?? 0,
      cache_creation_input_tokens: 0,
      cache_read_input_tokens: 0,
      output_tokens: 0,
    };
    return [
      {
        type: 'message_start',
        message: {
          id: messageId(id),
          type: 'message',
          role: 'assistant',
          model: this.opts.model ?? '',
          content: [],
          stop_reason: null,
          stop_sequence: null,
          usage,
        },
      },
    ];
  }

  /** Keep-alive for the timer hook: opens the message first if needed; nothing once it has ended. */
  ping(): AnthropicStreamEvent[] {
    if (this.state === 'finished') return [];
    return [...this.start(), { type: 'ping' }];
  }

  push(chunk: OpenAIChatChunk): AnthropicStreamEvent[] {
    if (this.state === 'finished') return [];
    const events = this.state === 'idle' ? this.startFrom(chunk) : [];
    if (chunk.usage) this.usage = chunk.usage;
    for (const choice of chunk.choices ?? []) {
      if (choice.index !== undefined && choice.index !== 0) continue;
      const delta = choice.delta ?? {};
      const thought = delta.reasoning_content;
      if (this.opts.thinking && typeof thought === 'string' && thought.length > 0)
        events.push(...this.thought(thought));
      if (typeof delta.content === 'string' && delta.content.length > 0) events.push(...this.text(delta.content));
      for (const call of delta.tool_calls ?? []) {
        if (this.opts.liveTools) events.push(...this.liveTool(call));
        else this.tool(call);
      }
      if (choice.finish_reason) {
        this.finish = choice.finish_reason;
        this.matchedStop = choice.stop_reason;
      }
    }
    return events;
  }

  /** `[DONE]`, or the upstream closed: a normal end if a finish_reason came, else an error. */
  end(): AnthropicStreamEvent[] {
    if (this.state === 'finished') return [];
    if (this.finish === undefined) return this.fail('overloaded', 'upstream stream ended before the model finished');
    const events = this.state === 'idle' ? this.start() : [];
    events.push(...this.closeThought(), ...this.closeText());
    events.push(...(this.opts.liveTools ? this.closeLive() : this.flushTools()));
    const finish = this.tools.size && this.finish === 'stop' ? 'tool_calls' : this.finish;
    const usage = mapUsage(this.usage);
    if (!this.usage) usage.output_tokens = this.textDeltas;
    events.push(
      { type: 'message_delta', delta: mapStopReason(finish, this.matchedStop), usage },
      { type: 'message_stop' },
    );
    this.state = 'finished';
    return events;
  }

  /** Ends the stream with an `error` event (upstream failure, or an error frame in the stream). */
  fail(kind: ErrorKind, message: string): AnthropicStreamEvent[] {
    if (this.state === 'finished') return [];
    this.state = 'finished';
    return [anthropicError(kind, message)];
  }

  /** An OpenAI `{"error": …}` frame inside the stream. */
  failFromUpstream(status: number, message: string): AnthropicStreamEvent[] {
    return this.fail(kindFromStatus(status), message);
  }

  private startFrom(chunk: OpenAIChatChunk): AnthropicStreamEvent[] {
    if (!this.opts.model && chunk.model) this.opts.model = chunk.model;
    return this.start(chunk.id);
  }

  private thought(thinking: string): AnthropicStreamEvent[] {
    const events: AnthropicStreamEvent[] = [...this.closeLive(), ...this.closeText()];
    if (!this.thoughtOpen) {
      this.thoughtOpen = true;
      events.push({
        type: 'content_block_start',
        index: this.index,
        content_block: { type: 'thinking', thinking: '', signature: '' },
      });
    }
    events.push({ type: 'content_block_delta', index: this.index, delta: { type: 'thinking_delta', thinking } });
    return events;
  }

  private closeThought(): AnthropicStreamEvent[] {
    if (!this.thoughtOpen) return [];
    this.thoughtOpen = false;
    return [
      {
        type: 'content_block_delta',
        index: this.index,
        delta: { type: 'signature_delta', signature: THINKING_SIGNATURE },
      },
      { type: 'content_block_stop', index: this.index++ },
    ];
  }

  private text(text: string): AnthropicStreamEvent[] {
    const events: AnthropicStreamEvent[] = [...this.closeLive(), ...this.closeThought()];
    if (!this.textOpen) {
      this.textOpen = true;
      events.push({ type: 'content_block_start', index: this.index, content_block: { type: 'text', text: '' } });
    }
    this.textDeltas++;
    events.push({ type: 'content_block_delta', index: this.index, delta: { type: 'text_delta', text } });
    return events;
  }

  private closeText(): AnthropicStreamEvent[] {
    if (!this.textOpen) return [];
    this.textOpen = false;
    return [{ type: 'content_block_stop', index: this.index++ }];
  }

  /** Accumulates a tool-call delta under its OpenAI index; returns that key. */
  private tool(call: NonNullable<OpenAIChatChunk['choices'][number]['delta']['tool_calls']>[number]): number {
    const key = typeof call.index === 'number' ? call.index : this.tools.size;
    const pending = this.tools.get(key) ?? { id: '', name: '', args: '' };
    if (call.id) pending.id = call.id;
    if (call.function?.name) pending.name += call.function.name;
    if (call.function?.arguments) pending.args += call.function.arguments;
    this.tools.set(key, pending);
    return key;
  }

  /** A tool-call delta streamed live: a new call opens its block, fragments become input_json_delta. */
  private liveTool(call: NonNullable<OpenAIChatChunk['choices'][number]['delta']['tool_calls']>[number]) {
    const key = this.tool(call); // keeps the count and the whole arguments for the stop reason and a final check
    if (this.closedLive.has(key)) {
      this.warnings.push(`tool call ${key}: a fragment arrived after its block closed; dropped`);
      return [];
    }
    const events: AnthropicStreamEvent[] = [];
    if (this.live !== key) {
      events.push(...this.closeLive(), ...this.closeThought(), ...this.closeText());
      const pending = this.tools.get(key)!;
      this.live = key;
      events.push({
        type: 'content_block_start',
        index: this.index,
        content_block: { type: 'tool_use', id: pending.id || `toolu_cortex_${key}`, name: pending.name, input: {} },
      });
    }
    const fragment = call.function?.arguments;
    if (fragment) {
      events.push({
        type: 'content_block_delta',
        index: this.index,
        delta: { type: 'input_json_delta', partial_json: fragment },
      });
    }
    return events;
  }

  private closeLive(): AnthropicStreamEvent[] {
    if (this.live === null) return [];
    const key = this.live;
    this.live = null;
    this.closedLive.add(key);
    this.json(this.tools.get(key)!); // warns when the streamed arguments were not a JSON object
    return [{ type: 'content_block_stop', index: this.index++ }];
  }

  private flushTools(): AnthropicStreamEvent[] {
    const events: AnthropicStreamEvent[] = [];
    const ordered = [...this.tools.entries()].sort(([a], [b]) => a - b);
    for (const [key, tool] of ordered) {
      const index = this.index++;
      const id = tool.id || `toolu_cortex_${key}`;
      events.push({
        type: 'content_block_start',
        index,
        content_block: { type: 'tool_use', id, name: tool.name, input: {} },
      });
      events.push({
        type: 'content_block_delta',
        index,
        delta: { type: 'input_json_delta', partial_json: this.json(tool) },
      });
      events.push({ type: 'content_block_stop', index });
    }
    return events;
  }

  private json(tool: PendingTool): string {
    const args = tool.args.trim();
    if (!args) return '{}';
    try {
      const parsed: unknown = JSON.parse(args);
      if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) return args;
    } catch {
      // fall through
    }
    this.warnings.push(`tool call "${tool.name}": arguments are not a JSON object; sent {} instead`);
    return '{}';
  }
}
