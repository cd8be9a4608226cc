/**
 * Responses tools → chat tools. Function tools pass through; a namespace tool's functions are
 * flattened into `namespace__name` functions (collisions get a suffix) and mapped back on the way
 * out; hosted tools (web_search, file_search, code_interpreter, computer use, …) cannot run on a
 * local fleet, so they are dropped and reported, unless tool_choice forces one, which is a 400.
 */
import { arr, invalid, obj, str, type Json } from '../check';
import { TranslationError } from '../errors';
import type { OpenAITool, OpenAIToolChoice } from '../openai.types';

/** A function as the client named it. */
export interface ClientToolName {
  name: string;
  namespace?: string;
}

/** Both directions of the name flattening, for one request. */
export class ToolNames {
  private readonly flat = new Map<string, string>();
  private readonly client = new Map<string, ClientToolName>();

  /** The chat name for a client's function, allocating one (unique) the first time. */
  toChat(name: string, namespace?: string): string {
    const key = `${namespace ?? ''}\u0000${name}`;
    const known = this.flat.get(key);
    if (known) return known;
    const base = namespace ? `${namespace}__${name}` : name;
    let chat = base;
    for (let n = 2; this.client.has(chat); n++) chat = `${base}_${n}`;
    this.flat.set(key, chat);
    this.client.set(chat, namespace ? { name, namespace } : { name });
    return chat;
  }

  /** The client's name (and namespace) for a chat function name; unknown names come back as they are. */
  toClient(chat: string): ClientToolName {
    return this.client.get(chat) ?? { name: chat };
  }
}

export interface ToolsTranslation {
  tools: OpenAITool[];
  toolChoice?: OpenAIToolChoice;
  /** The tools as offered to the model, in the client's shape (echoed in the response). */
  kept: Json[];
  /** `tools[i]:<type>` for each tool left out. */
  dropped: string[];
}

const FUNCTION_LIKE = new Set(['function', 'namespace']);

function functionTool(t: Json, path: string, names: ToolNames, declared: Set<string>, namespace?: string): OpenAITool {
  const name = str(t.name, `${path}.name`);
  if (!name) throw invalid(`${path}.name`, 'a non-empty string', name);
  const key = `${namespace ?? ''}.${name}`;
  if (declared.has(key)) throw invalid(`${path}.name`, 'a name no other tool has', name);
  declared.add(key);
  const parameters =
    t.parameters === undefined || t.parameters === null ? { type: 'object' } : obj(t.parameters, `${path}.parameters`);
  const fn: OpenAITool['function'] = { name: names.toChat(name, namespace), parameters };
  if (typeof t.description === 'string') fn.description = t.description;
  return { type: 'function', function: fn };
}

/** Converts `tools` and `tool_choice`; `names` learns every flattened name. */
export function convertTools(toolsIn: unknown, choiceIn: unknown, names: ToolNames): ToolsTranslation {
  const out: ToolsTranslation = { tools: [], kept: [], dropped: [] };
  const declared = new Set<string>();
  const list = toolsIn === undefined || toolsIn === null ? [] : arr(toolsIn, 'tools');
  list.forEach((raw, i) => {
    const t = obj(raw, `tools[${i}]`);
    const type = str(t.type, `tools[${i}].type`);
    if (type === 'function') out.tools.push(functionTool(t, `tools[${i}]`, names, declared));
    else if (type === 'namespace') {
      const ns = str(t.name, `tools[${i}].name`);
      if (!ns) throw invalid(`tools[${i}].name`, 'a non-empty string', ns);
      arr(t.tools, `tools[${i}].tools`).forEach((inner, j) => {
        const f = obj(inner, `tools[${i}].tools[${j}]`);
        if (f.type !== 'function') out.dropped.push(`tools[${i}].tools[${j}]:${String(f.type)}`);
        else out.tools.push(functionTool(f, `tools[${i}].tools[${j}]`, names, declared, ns));
      });
    } else {
      out.dropped.push(`tools[${i}]:${type}`);
      return;
    }
    out.kept.push(t);
  });
  if (choiceIn !== undefined && choiceIn !== null) applyChoice(choiceIn, out, names);
  return out;
}

function hostedTypes(dropped: string[]): string {
  return [...new Set(dropped.map((d) => d.slice(d.indexOf(':') + 1)))].join(', ');
}

function applyChoice(choice: unknown, out: ToolsTranslation, names: ToolNames): void {
  if (choice === 'auto' || choice === 'none') {
    out.toolChoice = choice;
    return;
  }
  if (choice === 'required') {
    if (!out.tools.length && out.dropped.length) {
      throw new TranslationError(
        'invalid_request',
        `tool_choice: "required", but the only tools are ones this fleet cannot run (${hostedTypes(out.dropped)})`,
        'tool_choice',
        'unsupported_feature',
      );
    }
    out.toolChoice = 'required';
    return;
  }
  if (typeof choice === 'string') throw invalid('tool_choice', '"auto", "none", "required" or an object', choice);
  const c = obj(choice, 'tool_choice');
  const type = str(c.type, 'tool_choice.type');
  if (type === 'function') {
    const ns =
      c.namespace === undefined || c.namespace === null ? undefined : str(c.namespace, 'tool_choice.namespace');
    out.toolChoice = { type: 'function', function: { name: names.toChat(str(c.name, 'tool_choice.name'), ns) } };
    return;
  }
  if (type === 'allowed_tools') {
    if (c.mode !== 'auto' && c.mode !== 'required') throw invalid('tool_choice.mode', '"auto" or "required"', c.mode);
    const allowed = new Set<string>();
    arr(c.tools, 'tool_choice.tools').forEach((t, i) => {
      const a = obj(t, `tool_choice.tools[${i}]`);
      // Hosted tools in the list were dropped with the tools themselves; only functions can be allowed.
      if (a.type !== 'function') return;
      const ns = typeof a.namespace === 'string' ? a.namespace : undefined;
      allowed.add(names.toChat(str(a.name, `tool_choice.tools[${i}].name`), ns));
    });
    out.tools = out.tools.filter((t) => allowed.has(t.function.name));
    if (c.mode === 'required' && !out.tools.length) {
      throw new TranslationError(
        'invalid_request',
        'tool_choice: allowed_tools in mode "required" names no function tool this fleet can run',
        'tool_choice.tools',
        'unsupported_feature',
      );
    }
    out.toolChoice = c.mode;
    return;
  }
  if (FUNCTION_LIKE.has(type)) throw invalid('tool_choice.type', '"function" or "allowed_tools"', type);
  throw forcedHosted(type, 'tool_choice');
}

function forcedHosted(type: string, param: string): TranslationError {
  return new TranslationError(
    'invalid_request',
    `${param}: forces the hosted tool "${type}", which this fleet cannot run; offer it as a function tool instead`,
    param,
    'unsupported_feature',
  );
}
