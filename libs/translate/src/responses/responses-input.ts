/**
 * Responses input items → chat messages, in order. An assistant turn gathers what the Responses API
 * splits into items (a reasoning item, a message, then function_call items) back into one assistant
 * message with its thought, text and tool calls; function_call_output items become tool messages.
 * Features a local fleet cannot serve (stored item references, files) are a 400 naming the item.
 */
import { arr, invalid, obj, str, type Json } from '../check';
import { TranslationError } from '../errors';
import type { OpenAIContentPart, OpenAIMessage, OpenAIToolCall } from '../openai.types';
import type { ToolNames } from './responses-tools';

/** encrypted_content cortex hands out: the thought itself, base64, so a stateless client can send it back. */
const SEALED = 'cortex:v1:';

export function sealThought(thought: string): string {
  return SEALED + Buffer.from(thought, 'utf8').toString('base64');
}

/** The thought inside cortex's encrypted_content; null for another provider's (or a damaged) one. */
export function unsealThought(v: unknown): string | null {
  if (typeof v !== 'string' || !v.startsWith(SEALED)) return null;
  return Buffer.from(v.slice(SEALED.length), 'base64').toString('utf8');
}

function unsupported(path: string, message: string): TranslationError {
  return new TranslationError('invalid_request', `${path}: ${message}`, path, 'unsupported_feature');
}

interface Turn {
  text: string[];
  calls: OpenAIToolCall[];
  thought: string[];
}

/** Builds the chat messages one item at a time. */
export class Conversation {
  readonly messages: OpenAIMessage[] = [];
  private turn: Turn | null = null;
  private images: OpenAIContentPart[] = [];

  constructor(private readonly names: ToolNames) {}

  add(item: unknown, path: string): void {
    const it = obj(item, path);
    const type = it.type ?? (it.role !== undefined ? 'message' : undefined);
    switch (type) {
      case 'message':
        return this.message(it, path);
      case 'function_call':
        return this.call(it, path);
      case 'function_call_output':
        return this.output(it, path);
      case 'reasoning':
        return this.reasoning(it, path);
      case 'item_reference':
        throw unsupported(path, 'item references need stored items; send the item itself, or use previous_response_id');
      default:
        throw invalid(`${path}.type`, 'message, function_call, function_call_output or reasoning', type);
    }
  }

  finish(): OpenAIMessage[] {
    this.close();
    return this.messages;
  }

  private message(it: Json, path: string): void {
    const role = it.role;
    if (role === 'system' || role === 'developer') {
      this.close();
      const text = this.text(it.content, `${path}.content`);
      if (!text) return;
      // Adjacent system text (instructions, then Codex's two developer messages) is one system message.
      const last = this.messages[this.messages.length - 1];
      if (last?.role === 'system') last.content = `${last.content}\n\n${text}`;
      else this.messages.push({ role: 'system', content: text });
    } else if (role === 'user') {
      this.close();
      const parts = this.parts(it.content, `${path}.content`);
      const plain = parts.every((p) => p.type === 'text');
      this.messages.push({ role: 'user', content: plain ? joinText(parts) : parts });
    } else if (role === 'assistant') {
      const turn = this.open();
      if (turn.calls.length) this.close();
      this.open().text.push(this.text(it.content, `${path}.content`));
    } else throw invalid(`${path}.role`, '"user", "assistant", "system" or "developer"', role);
  }

  private call(it: Json, path: string): void {
    const name = str(it.name, `${path}.name`);
    const ns = it.namespace === undefined || it.namespace === null ? undefined : str(it.namespace, `${path}.namespace`);
    const args = it.arguments === undefined ? '{}' : str(it.arguments, `${path}.arguments`);
    this.open().calls.push({
      id: str(it.call_id, `${path}.call_id`),
      type: 'function',
      function: { name: this.names.toChat(name, ns), arguments: args },
    });
  }

  private output(it: Json, path: string): void {
    this.close(false);
    const id = str(it.call_id, `${path}.call_id`);
    let content: string;
    if (typeof it.output === 'string') content = it.output;
    else {
      const parts = this.parts(it.output, `${path}.output`);
      this.images.push(...parts.filter((p) => p.type === 'image_url'));
      content = joinText(parts);
    }
    this.messages.push({ role: 'tool', tool_call_id: id, content });
  }

  private reasoning(it: Json, path: string): void {
    const thought = unsealThought(it.encrypted_content) ?? reasoningText(it, path);
    if (this.turn && (this.turn.text.length || this.turn.calls.length)) this.close();
    if (thought) this.open().thought.push(thought);
  }

  private open(): Turn {
    this.flushImages();
    return (this.turn ??= { text: [], calls: [], thought: [] });
  }

  /** Ends the assistant turn in progress; images from tool outputs follow once the tool messages end. */
  private close(flushImages = true): void {
    const t = this.turn;
    this.turn = null;
    if (flushImages) this.flushImages();
    if (!t || (!t.text.length && !t.calls.length)) return;
    const thought = t.thought.length ? { reasoning_content: t.thought.join('\n') } : {};
    const text = t.text.join('\n\n');
    if (t.calls.length)
      this.messages.push({ role: 'assistant', content: text || null, tool_calls: t.calls, ...thought });
    else this.messages.push({ role: 'assistant', content: text, ...thought });
  }

  private flushImages(): void {
    if (!this.images.length) return;
    this.messages.push({ role: 'user', content: this.images });
    this.images = [];
  }

  private text(content: unknown, path: string): string {
    const parts = this.parts(content, path);
    if (parts.some((p) => p.type !== 'text')) throw invalid(path, 'text parts only', content);
    return joinText(parts);
  }

  private parts(content: unknown, path: string): OpenAIContentPart[] {
    if (typeof content === 'string') return [{ type: 'text', text: content }];
    return arr(content, path).map((raw, i) => part(raw, `${path}[${i}]`));
  }
}

function part(raw: unknown, path: string): OpenAIContentPart {
  const p = obj(raw, path);
  switch (p.type) {
    case 'input_text':
    case 'output_text':
    case 'text':
      return { type: 'text', text: str(p.text, `${path}.text`) };
    case 'refusal':
      return { type: 'text', text: str(p.refusal, `${path}.refusal`) };
    case 'input_image': {
      if (p.image_url === undefined || p.image_url === null) {
        throw unsupported(path, 'images by file_id need the Files API, which cortex does not serve; send image_url');
      }
      const image: { url: string; detail?: string } = { url: str(p.image_url, `${path}.image_url`) };
      if (typeof p.detail === 'string') image.detail = p.detail;
      return { type: 'image_url', image_url: image };
    }
    case 'input_file':
      throw unsupported(path, 'files are not supported by local models; send the text as input_text');
    default:
      throw invalid(`${path}.type`, 'input_text, output_text, refusal or input_image', p.type);
  }
}

function joinText(parts: OpenAIContentPart[]): string {
  return parts.flatMap((p) => (p.type === 'text' ? [p.text] : [])).join('\n\n');
}

/** The thought in a reasoning item: its full reasoning_text content if any, else its summary. */
function reasoningText(it: Json, path: string): string {
  const from = (v: unknown, key: string) =>
    v === undefined || v === null
      ? []
      : arr(v, `${path}.${key}`).map((x, i) => str(obj(x, `${path}.${key}[${i}]`).text, `${path}.${key}[${i}].text`));
  const content = from(it.content, 'content');
  return (content.length ? content : from(it.summary, 'summary')).join('\n');
}
