/**
 * Anthropic Messages request → OpenAI chat request. System text (top-level and in-conversation) is
 * merged into one leading system message; tool_use/tool_result become tool_calls/tool messages in
 * order; thinking blocks are dropped, never sent as text; fields with no OpenAI meaning are dropped
 * on purpose (DROPPED_FIELDS) and reported so the gateway can log them.
 */
import { invalid, isObject, int, obj, optBool, optNum, str, arr, type Json } from './check';
import { TranslationError } from './errors';
import type {
  OpenAIChatRequest,
  OpenAIContentPart,
  OpenAIMessage,
  OpenAITool,
  OpenAIToolCall,
  OpenAIToolChoice,
} from './openai.types';

/** Top-level Anthropic fields with no OpenAI meaning, dropped knowingly (never a 400). */
export const DROPPED_FIELDS: Readonly<Record<string, string>> = {
  context_management: 'Anthropic server-side context editing',
  output_config: 'Anthropic output effort and format hints',
  service_tier: 'Anthropic capacity tiers',
  container: 'Anthropic code-execution containers',
  mcp_servers: 'Anthropic-hosted MCP connectors',
  betas: 'beta flags only Anthropic understands',
  inference_geo: 'Anthropic data residency',
  cache_control: 'prompt-caching hints (also ignored on system and content blocks)',
  anthropic_version: 'API version (a header; no body meaning here)',
};

const MAPPED = new Set([
  'model',
  'messages',
  'max_tokens',
  'system',
  'stop_sequences',
  'temperature',
  'top_p',
  'top_k',
  'stream',
  'tools',
  'tool_choice',
  'metadata',
  'thinking',
]);

export interface RequestTranslation {
  request: OpenAIChatRequest;
  /** The client asked for thinking (`enabled` or `adaptive`): answer with thinking blocks. */
  thinking: boolean;
  /** Top-level fields left out: known ones by name, others as `unknown:<name>`. */
  dropped: string[];
}

export interface TranslateOptions {
  /** count_tokens bodies carry no max_tokens. */
  requireMaxTokens?: boolean;
}

export function anthropicToOpenAI(body: unknown, opts: TranslateOptions = {}): RequestTranslation {
  const b = obj(body, 'body');
  const model = str(b.model, 'model');
  if (!model) throw invalid('model', 'a non-empty string', model);
  const requireMax = opts.requireMaxTokens ?? true;
  const maxTokens = requireMax || b.max_tokens !== undefined ? int(b.max_tokens, 'max_tokens', 1) : undefined;
  const messagesIn = arr(b.messages, 'messages');
  if (messagesIn.length === 0) throw invalid('messages', 'at least one message', messagesIn);

  const system = b.system === undefined || b.system === null ? [] : [systemText(b.system, 'system')];
  const messages: OpenAIMessage[] = [];
  messagesIn.forEach((m, i) => convertMessage(m, `messages[${i}]`, system, messages));
  const request: OpenAIChatRequest = { model, messages: [...leadingSystem(system), ...messages] };
  if (maxTokens !== undefined) request.max_tokens = maxTokens;

  const temperature = optNum(b.temperature, 'temperature', 0, 2);
  if (temperature !== undefined) request.temperature = temperature;
  const topP = optNum(b.top_p, 'top_p', 0, 1);
  if (topP !== undefined) request.top_p = topP;
  const topK = optNum(b.top_k, 'top_k', 0);
  if (topK !== undefined) request.top_k = topK;
  if (b.stop_sequences !== undefined && b.stop_sequences !== null) {
    request.stop = arr(b.stop_sequences, 'stop_sequences').map((s, i) => str(s, `stop_sequences[${i}]`));
  }
  const stream = optBool(b.stream, 'stream');
  if (stream !== undefined) request.stream = stream;
  if (stream) request.stream_options = { include_usage: true };
  const dropped: string[] = [];
  const tools = b.tools === undefined || b.tools === null ? [] : convertTools(b.tools, dropped);
  if (tools.length) request.tools = tools;
  if (b.tool_choice !== undefined && b.tool_choice !== null) applyToolChoice(b.tool_choice, request);
  if (isObject(b.metadata) && typeof b.metadata.user_id === 'string') request.user = b.metadata.user_id;

  for (const key of Object.keys(b)) {
    if (MAPPED.has(key)) continue;
    dropped.push(Object.hasOwn(DROPPED_FIELDS, key) ? key : `unknown:${key}`);
  }
  const thinking = isObject(b.thinking) && (b.thinking.type === 'enabled' || b.thinking.type === 'adaptive');
  // An explicit budget caps the model's thought (cortex's thinking_budget); `disabled` means none.
  if (isObject(b.thinking) && b.thinking.type === 'enabled' && b.thinking.budget_tokens !== undefined) {
    request.thinking_budget = int(b.thinking.budget_tokens, 'thinking.budget_tokens', 0);
  }
  if (isObject(b.thinking) && b.thinking.type === 'disabled') request.thinking_budget = 0;
  return { request, dropped, thinking };
}

function leadingSystem(parts: string[]): OpenAIMessage[] {
  const text = parts.filter((p) => p.length > 0).join('\n\n');
  return text ? [{ role: 'system', content: text }] : [];
}

function systemText(v: unknown, path: string): string {
  if (typeof v === 'string') return v;
  return arr(v, path)
    .map((block, i) => {
      const b = obj(block, `${path}[${i}]`);
      if (b.type !== 'text') throw invalid(`${path}[${i}].type`, '"text"', b.type);
      return str(b.text, `${path}[${i}].text`);
    })
    .join('\n');
}

interface Collected {
  parts: OpenAIContentPart[];
  thoughts: string[];
  toolCalls: OpenAIToolCall[];
  toolMessages: OpenAIMessage[];
  toolImages: OpenAIContentPart[];
}

function convertMessage(m: unknown, path: string, system: string[], out: OpenAIMessage[]): void {
  const msg = obj(m, path);
  const role = msg.role;
  if (role !== 'user' && role !== 'assistant' && role !== 'system') {
    throw invalid(`${path}.role`, '"user" or "assistant"', role);
  }
  if (role === 'system') {
    system.push(systemText(msg.content, `${path}.content`));
    return;
  }
  if (typeof msg.content === 'string') {
    out.push({ role, content: msg.content });
    return;
  }
  const c: Collected = { parts: [], thoughts: [], toolCalls: [], toolMessages: [], toolImages: [] };
  arr(msg.content, `${path}.content`).forEach((block, j) => collectBlock(block, `${path}.content[${j}]`, role, c));
  out.push(...c.toolMessages);
  if (c.toolImages.length) out.push({ role: 'user', content: c.toolImages });
  if (role === 'assistant') {
    const text = joinText(c.parts);
    // Thinking blocks go back as the model's own thought (reasoning_content), never as text.
    const thought = c.thoughts.length ? { reasoning_content: c.thoughts.join('\n') } : {};
    if (c.toolCalls.length) out.push({ role: 'assistant', content: text || null, tool_calls: c.toolCalls, ...thought });
    else if (c.parts.length || !c.toolMessages.length) out.push({ role: 'assistant', content: text, ...thought });
    return;
  }
  if (c.parts.some((p) => p.type !== 'text')) out.push({ role: 'user', content: c.parts });
  else if (c.parts.length || !c.toolMessages.length) out.push({ role: 'user', content: joinText(c.parts) });
}

function joinText(parts: OpenAIContentPart[]): string {
  return parts.map((p) => (p.type === 'text' ? p.text : '')).join('\n\n');
}

function collectBlock(block: unknown, path: string, role: 'user' | 'assistant', c: Collected): void {
  const b = obj(block, path);
  switch (b.type) {
    case 'text':
      c.parts.push({ type: 'text', text: str(b.text, `${path}.text`) });
      return;
    case 'image':
      if (role === 'assistant') throw invalid(`${path}.type`, 'a block an assistant turn can hold', b.type);
      c.parts.push(imagePart(b.source, `${path}.source`));
      return;
    case 'document':
      c.parts.push({ type: 'text', text: documentText(b, path) });
      return;
    case 'tool_use':
      if (role !== 'assistant') throw invalid(`${path}.type`, 'tool_use only in assistant turns', b.type);
      c.toolCalls.push({
        id: str(b.id, `${path}.id`),
        type: 'function',
        function: { name: str(b.name, `${path}.name`), arguments: JSON.stringify(b.input ?? {}) },
      });
      return;
    case 'tool_result':
      collectToolResult(b, path, c);
      return;
    case 'thinking':
      if (role === 'assistant' && typeof b.thinking === 'string' && b.thinking) c.thoughts.push(b.thinking);
      return;
    case 'redacted_thinking':
      return;
    default:
      throw invalid(`${path}.type`, 'text, image, document, tool_use, tool_result or thinking', b.type);
  }
}

function imagePart(source: unknown, path: string): OpenAIContentPart {
  const s = obj(source, path);
  if (s.type === 'base64') {
    const media = str(s.media_type, `${path}.media_type`);
    return { type: 'image_url', image_url: { url: `data:${media};base64,${str(s.data, `${path}.data`)}` } };
  }
  if (s.type === 'url') return { type: 'image_url', image_url: { url: str(s.url, `${path}.url`) } };
  throw invalid(`${path}.type`, '"base64" or "url"', s.type);
}

function documentText(b: Json, path: string): string {
  const s = obj(b.source, `${path}.source`);
  const title = typeof b.title === 'string' && b.title ? `${b.title}\n\n` : '';
  if (s.type === 'text') return title + str(s.data, `${path}.source.data`);
  if (s.type === 'content') {
    if (typeof s.content === 'string') return title + s.content;
    const blocks = arr(s.content, `${path}.source.content`);
    return (
      title +
      blocks
        .map((x, k) => str(obj(x, `${path}.source.content[${k}]`).text, `${path}.source.content[${k}].text`))
        .join('\n')
    );
  }
  throw new TranslationError(
    'invalid_request',
    `${path}.source.type: "${String(s.type)}" documents (PDF, files) are not supported by local models; send the text as a "text" source`,
    `${path}.source.type`,
  );
}

function collectToolResult(b: Json, path: string, c: Collected): void {
  const id = str(b.tool_use_id, `${path}.tool_use_id`);
  let text = '';
  if (typeof b.content === 'string') text = b.content;
  else if (b.content !== undefined && b.content !== null) {
    const texts: string[] = [];
    arr(b.content, `${path}.content`).forEach((x, k) => {
      const inner = obj(x, `${path}.content[${k}]`);
      if (inner.type === 'text') texts.push(str(inner.text, `${path}.content[${k}].text`));
      else if (inner.type === 'image') c.toolImages.push(imagePart(inner.source, `${path}.content[${k}].source`));
      else if (inner.type === 'document') texts.push(documentText(inner, `${path}.content[${k}]`));
      else throw invalid(`${path}.content[${k}].type`, 'text, image or document', inner.type);
    });
    text = texts.join('\n');
  }
  if (optBool(b.is_error, `${path}.is_error`)) text = `Error: ${text}`;
  c.toolMessages.push({ role: 'tool', tool_call_id: id, content: text });
}

function convertTools(v: unknown, dropped: string[]): OpenAITool[] {
  const tools: OpenAITool[] = [];
  arr(v, 'tools').forEach((t, i) => {
    const tool = obj(t, `tools[${i}]`);
    const name = str(tool.name, `tools[${i}].name`);
    const serverTool = typeof tool.type === 'string' && tool.type !== 'custom' && tool.input_schema === undefined;
    if (serverTool) {
      dropped.push(`tools[${i}]:${String(tool.type)}`);
      return;
    }
    const parameters =
      tool.input_schema === undefined ? { type: 'object' } : obj(tool.input_schema, `tools[${i}].input_schema`);
    const fn: OpenAITool['function'] = { name, parameters };
    if (typeof tool.description === 'string') fn.description = tool.description;
    tools.push({ type: 'function', function: fn });
  });
  return tools;
}

function applyToolChoice(v: unknown, request: OpenAIChatRequest): void {
  const tc = obj(v, 'tool_choice');
  const choices: Record<string, () => OpenAIToolChoice> = {
    auto: () => 'auto',
    any: () => 'required',
    none: () => 'none',
    tool: () => ({ type: 'function', function: { name: str(tc.name, 'tool_choice.name') } }),
  };
  const make = typeof tc.type === 'string' && Object.hasOwn(choices, tc.type) ? choices[tc.type] : undefined;
  if (!make) throw invalid('tool_choice.type', '"auto", "any", "tool" or "none"', tc.type);
  request.tool_choice = make();
  if (optBool(tc.disable_parallel_tool_use, 'tool_choice.disable_parallel_tool_use'))
    request.parallel_tool_calls = false;
}

/** count_tokens body → the OpenAI request whose prompt the neuron should count (tools included). */
export function countTokensToOpenAI(body: unknown): Pick<OpenAIChatRequest, 'model' | 'messages' | 'tools'> {
  const { request } = anthropicToOpenAI(body, { requireMaxTokens: false });
  return { model: request.model, messages: request.messages, ...(request.tools ? { tools: request.tools } : {}) };
}
