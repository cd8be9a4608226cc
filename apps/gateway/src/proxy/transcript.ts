/**
 * What an OpenAI chat stream has told its client so far, so that a stream cut by a neuron fault can
 * go on elsewhere: the request that asks another neuron to continue the answer (the conversation
 * plus the answer so far, `continue_final_message`), and that neuron's chunks made to read as the
 * same stream — the first stream's id, no second role chunk, a tool call's id, name and arguments
 * already sent not sent twice. Pure: the pipeline feeds it parsed chunks.
 */

type Json = Record<string, unknown>;

interface CallDelta {
  index?: unknown;
  id?: unknown;
  type?: unknown;
  function?: { name?: unknown; arguments?: unknown };
}

interface Delta {
  role?: unknown;
  content?: unknown;
  reasoning_content?: unknown;
  tool_calls?: CallDelta[];
}

interface Choice {
  index?: unknown;
  delta?: Delta;
  finish_reason?: unknown;
}

/** The continuation's tool-call arguments differ from what the client was already sent. */
export class Diverged extends Error {
  constructor(index: number) {
    super(`the resumed answer's tool call ${index} does not repeat the arguments already sent`);
    this.name = 'Diverged';
  }
}

const HEAD_KEYS = ['id', 'created', 'model', 'system_fingerprint'] as const;

/**
 * Characters of answer a transcript keeps at most (a whole 128k-token answer is about half of it).
 * Beyond, it lets go of them and the answer can no longer be resumed: memory per stream stays bounded.
 */
export const MAX_TRANSCRIPT_CHARS = 1 << 20;

export class Transcript {
  private head: Json | null = null;
  private content = '';
  private reasoning = '';
  /** Argument text sent per tool call index. */
  private readonly calls = new Map<number, string>();
  /** While splicing: per call begun before the fault, the argument text the continuation must repeat. */
  private readonly repeat = new Map<number, string>();
  /** A finish_reason was sent: the answer is over, only its usage or [DONE] is missing. */
  finished = false;
  /** The answer outgrew MAX_TRANSCRIPT_CHARS: what was sent is no longer known. */
  overflowed = false;
  private chars = 0;

  /** The client has been sent a chunk of the answer. */
  get started(): boolean {
    return this.head !== null;
  }

  /** One chunk as the client was sent it. */
  note(chunk: Json | null): void {
    if (!chunk) return;
    if (!this.head) this.head = Object.fromEntries(HEAD_KEYS.filter((k) => k in chunk).map((k) => [k, chunk[k]]));
    const choice = (chunk.choices as Choice[] | undefined)?.[0];
    if (!choice) return;
    if (choice.finish_reason) this.finished = true;
    const d = choice.delta;
    if (!d || this.overflowed) return;
    if (typeof d.content === 'string') {
      this.content += d.content;
      this.chars += d.content.length;
    }
    if (typeof d.reasoning_content === 'string') {
      this.reasoning += d.reasoning_content;
      this.chars += d.reasoning_content.length;
    }
    for (const c of d.tool_calls ?? []) {
      const i = Number(c.index ?? 0);
      const args = typeof c.function?.arguments === 'string' ? c.function.arguments : '';
      this.calls.set(i, (this.calls.get(i) ?? '') + args);
      this.chars += args.length;
    }
    if (this.chars > MAX_TRANSCRIPT_CHARS) this.forget();
  }

  private forget(): void {
    this.overflowed = true;
    this.content = '';
    this.reasoning = '';
    this.calls.clear();
  }

  /**
   * The body that asks a neuron to go on with this answer: the answer so far as the last message.
   * Tool calls are generated again from the text before them (the neuron cannot resume inside a
   * call's grammar), and `splice` passes on only the arguments not yet sent.
   */
  continuation(body: Json): Json {
    const messages = Array.isArray(body.messages) ? body.messages : [];
    const answer: Json = { role: 'assistant', content: this.content };
    if (this.reasoning) answer.reasoning_content = this.reasoning;
    this.repeat.clear();
    for (const [i, args] of this.calls) this.repeat.set(i, args);
    return { ...body, messages: [...messages, answer], continue_final_message: true };
  }

  /** A continuation chunk as the client's stream goes on, or null when nothing in it is new. */
  splice(chunk: Json | null): Json | null {
    if (!chunk) return null;
    const out: Json = { ...chunk, ...this.head };
    const choices = chunk.choices as Choice[] | undefined;
    const choice = choices?.[0];
    if (choice?.delta) {
      const delta = this.spliceDelta(choice.delta);
      const empty = Object.keys(delta).length === 0;
      if (empty && !choice.finish_reason && !chunk.usage) return null;
      out.choices = [{ ...choice, delta }, ...choices!.slice(1)];
    }
    this.note(out);
    return out;
  }

  private spliceDelta(d: Delta): Delta {
    const { role: _role, tool_calls, ...rest } = d;
    const delta: Delta = rest;
    // The continuation's role chunk carries an empty content: nothing the client has not seen.
    if (delta.content === '') delete delta.content;
    if (delta.reasoning_content === '') delete delta.reasoning_content;
    if (tool_calls?.length) {
      const calls = tool_calls.map((c) => this.spliceCall(c)).filter((c): c is CallDelta => c !== null);
      if (calls.length) delta.tool_calls = calls;
    }
    return delta;
  }

  /** A call begun before the fault: its head dropped, the arguments already sent skipped (and checked). */
  private spliceCall(c: CallDelta): CallDelta | null {
    const i = Number(c.index ?? 0);
    const left = this.repeat.get(i);
    if (left === undefined) return c;
    const args = typeof c.function?.arguments === 'string' ? c.function.arguments : '';
    let fresh = '';
    if (args.length <= left.length) {
      if (!left.startsWith(args)) throw new Diverged(i);
      this.repeat.set(i, left.slice(args.length));
    } else {
      if (!args.startsWith(left)) throw new Diverged(i);
      this.repeat.set(i, '');
      fresh = args.slice(left.length);
    }
    return fresh ? { index: c.index, function: { arguments: fresh } } : null;
  }
}
