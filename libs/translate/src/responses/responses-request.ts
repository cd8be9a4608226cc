/**
 * OpenAI Responses request → OpenAI chat request, plus what the answer needs: the tool-name map
 * (namespace tools are flattened), the fields the response object echoes, and the fields left out
 * (hosted tools, top-level fields with no chat meaning) for the gateway to log. Features a local
 * fleet cannot serve are a 400 naming the field, never silently ignored.
 */
import { arr, int, invalid, isObject, obj, optBool, optNum, str, type Json } from '../check';
import { TranslationError } from '../errors';
import type { OpenAIChatRequest } from '../openai.types';
import type { ResponseObject } from './responses.types';
import { Conversation } from './responses-input';
import { ToolNames, convertTools } from './responses-tools';

/** Top-level fields read or knowingly left out; anything else is reported as `unknown:<name>`. */
const HANDLED = new Set([
  'model',
  'input',
  'instructions',
  'tools',
  'tool_choice',
  'parallel_tool_calls',
  'max_output_tokens',
  'temperature',
  'top_p',
  'text',
  'reasoning',
  'metadata',
  'user',
  'stream',
  'store',
  'previous_response_id',
  'include',
  'prompt_cache_key',
  'seed',
  'background',
  'conversation',
  'prompt',
  'top_logprobs',
]);

/** Fields with no meaning on a local fleet, dropped knowingly (never a 400). */
export const RESPONSES_DROPPED_FIELDS: Readonly<Record<string, string>> = {
  service_tier: 'OpenAI capacity tiers',
  safety_identifier: 'OpenAI abuse monitoring',
  client_metadata: 'client bookkeeping (Codex)',
  truncation: 'cortex never truncates a conversation; an over-long one is a 400',
  stream_options: 'stream obfuscation',
  max_tool_calls: 'built-in tool call budget (no built-in tools run here)',
};

export const REASONING_EFFORTS = ['none', 'minimal', 'low', 'medium', 'high'] as const;

export type ResponseEcho = Omit<
  ResponseObject,
  'id' | 'object' | 'created_at' | 'status' | 'error' | 'incomplete_details' | 'model' | 'output' | 'usage'
>;

export interface ResponsesTranslation {
  request: OpenAIChatRequest;
  names: ToolNames;
  /** This request's own input as items (a string input becomes one user message). */
  input: Json[];
  echo: ResponseEcho;
  /** The client asked for reasoning.encrypted_content. */
  sealReasoning: boolean;
  dropped: string[];
}

export interface ResponsesRequestOptions {
  /** The conversation before this request: a previous response's input and output items. */
  history?: unknown[];
}

function unsupported(param: string, message: string): TranslationError {
  return new TranslationError('invalid_request', `${param}: ${message}`, param, 'unsupported_feature');
}

export function responsesToOpenAI(body: unknown, opts: ResponsesRequestOptions = {}): ResponsesTranslation {
  const b = obj(body, 'body');
  const model = str(b.model, 'model');
  if (!model) throw invalid('model', 'a non-empty string', model);
  refuseUnservable(b);
  const names = new ToolNames();
  const tools = convertTools(b.tools, b.tool_choice, names);
  const input = inputItems(b.input);
  const conversation = new Conversation(names);
  const instructions =
    b.instructions === undefined || b.instructions === null ? null : str(b.instructions, 'instructions');
  if (instructions) conversation.add({ role: 'developer', content: instructions }, 'instructions');
  (opts.history ?? []).forEach((item, i) => conversation.add(item, `previous_response_id: item ${i}`));
  input.forEach((item, i) => conversation.add(item, `input[${i}]`));
  const messages = conversation.finish();
  if (!messages.some((m) => m.role !== 'system')) throw invalid('input', 'at least one message or item', b.input);

  const request: OpenAIChatRequest = { model, messages };
  const maxOut =
    b.max_output_tokens === undefined || b.max_output_tokens === null
      ? undefined
      : int(b.max_output_tokens, 'max_output_tokens', 1);
  if (maxOut !== undefined) request.max_tokens = maxOut;
  const temperature = optNum(b.temperature, 'temperature', 0, 2);
  if (temperature !== undefined) request.temperature = temperature;
  const topP = optNum(b.top_p, 'top_p', 0, 1);
  if (topP !== undefined) request.top_p = topP;
  if (b.seed !== undefined && b.seed !== null) request.seed = int(b.seed, 'seed', 0);
  const stream = optBool(b.stream, 'stream');
  if (stream !== undefined) request.stream = stream;
  if (stream) request.stream_options = { include_usage: true };
  if (tools.tools.length) request.tools = tools.tools;
  if (tools.toolChoice !== undefined && (tools.tools.length || tools.toolChoice === 'none'))
    request.tool_choice = tools.toolChoice;
  const parallel = optBool(b.parallel_tool_calls, 'parallel_tool_calls');
  if (parallel !== undefined) request.parallel_tool_calls = parallel;
  const user = b.user === undefined || b.user === null ? undefined : str(b.user, 'user');
  if (user) request.user = user;
  const format = textFormat(b.text);
  if (format) request.response_format = format;
  const reasoning = reasoningOf(b.reasoning);
  if (reasoning.effort) request.reasoning_effort = reasoning.effort;
  const cacheKey =
    b.prompt_cache_key === undefined || b.prompt_cache_key === null
      ? undefined
      : str(b.prompt_cache_key, 'prompt_cache_key');
  if (cacheKey) request.prompt_cache_key = cacheKey;

  const store = optBool(b.store, 'store') ?? true;
  const previous =
    b.previous_response_id === undefined || b.previous_response_id === null
      ? null
      : str(b.previous_response_id, 'previous_response_id');
  const echo: ResponseEcho = {
    instructions,
    max_output_tokens: maxOut ?? null,
    metadata: metadataOf(b.metadata),
    parallel_tool_calls: parallel ?? true,
    previous_response_id: previous,
    reasoning: { effort: reasoning.asked ?? null, summary: reasoning.summary },
    store,
    temperature: temperature ?? null,
    text: { format: isObject(b.text) && isObject(b.text.format) ? b.text.format : { type: 'text' } },
    tool_choice: b.tool_choice ?? 'auto',
    tools: tools.kept,
    top_p: topP ?? null,
    truncation: 'disabled',
    user: user ?? null,
    ...(cacheKey ? { prompt_cache_key: cacheKey } : {}),
  };
  const dropped = [...tools.dropped];
  for (const key of Object.keys(b)) {
    if (!HANDLED.has(key)) dropped.push(Object.hasOwn(RESPONSES_DROPPED_FIELDS, key) ? key : `unknown:${key}`);
  }
  return { request, names, input, echo, sealReasoning: includes(b.include, 'reasoning.encrypted_content'), dropped };
}

function refuseUnservable(b: Json): void {
  if (b.background === true) throw unsupported('background', 'background responses are not served; stream instead');
  if (b.conversation !== undefined && b.conversation !== null) {
    throw unsupported(
      'conversation',
      'the Conversations API is not served; use previous_response_id or send the items',
    );
  }
  if (b.prompt !== undefined && b.prompt !== null) {
    throw unsupported('prompt', 'stored prompt templates are not served; send instructions and input');
  }
  const top = optNum(b.top_logprobs, 'top_logprobs', 0, 20);
  if (top) throw unsupported('top_logprobs', 'log probabilities are not served');
}

/** The input as a list of items: a string is one user message. */
function inputItems(v: unknown): Json[] {
  if (typeof v === 'string') return [{ type: 'message', role: 'user', content: [{ type: 'input_text', text: v }] }];
  return arr(v, 'input').map((item, i) => obj(item, `input[${i}]`));
}

function includes(v: unknown, what: string): boolean {
  if (v === undefined || v === null) return false;
  return arr(v, 'include').some((x, i) => str(x, `include[${i}]`) === what);
}

function textFormat(v: unknown): OpenAIChatRequest['response_format'] {
  if (v === undefined || v === null) return undefined;
  const t = obj(v, 'text');
  if (t.format === undefined || t.format === null) return undefined;
  const f = obj(t.format, 'text.format');
  if (f.type === 'text') return undefined;
  if (f.type === 'json_object') return { type: 'json_object' };
  if (f.type !== 'json_schema') throw invalid('text.format.type', '"text", "json_object" or "json_schema"', f.type);
  const schema: Json = { name: str(f.name, 'text.format.name'), schema: obj(f.schema, 'text.format.schema') };
  if (typeof f.strict === 'boolean') schema.strict = f.strict;
  return { type: 'json_schema', json_schema: schema };
}

function reasoningOf(v: unknown): {
  effort?: OpenAIChatRequest['reasoning_effort'];
  asked?: string;
  summary: string | null;
} {
  if (v === undefined || v === null) return { summary: null };
  const r = obj(v, 'reasoning');
  const summary = r.summary === undefined || r.summary === null ? null : str(r.summary, 'reasoning.summary');
  if (r.effort === undefined || r.effort === null) return { summary };
  const asked = str(r.effort, 'reasoning.effort');
  // xhigh is OpenAI's name for more than high; a local model's most is its own default.
  const effort = asked === 'xhigh' ? 'high' : asked;
  if (!(REASONING_EFFORTS as readonly string[]).includes(effort)) {
    throw invalid('reasoning.effort', `one of ${[...REASONING_EFFORTS, 'xhigh'].join(', ')}`, asked);
  }
  return { effort: effort as OpenAIChatRequest['reasoning_effort'], asked, summary };
}

/** OpenAI's limits: up to 16 pairs, keys up to 64 characters, string values up to 512. */
function metadataOf(v: unknown): Record<string, string> {
  if (v === undefined || v === null) return {};
  const m = obj(v, 'metadata');
  const keys = Object.keys(m);
  if (keys.length > 16) throw invalid('metadata', 'at most 16 keys', `${keys.length} keys`);
  const out: Record<string, string> = {};
  for (const k of keys) {
    if (k.length > 64) throw invalid('metadata', 'keys of at most 64 characters', k);
    const value = str(m[k], `metadata.${k}`);
    if (value.length > 512)
      throw invalid(`metadata.${k}`, 'a string of at most 512 characters', `${value.length} characters`);
    out[k] = value;
  }
  return out;
}
