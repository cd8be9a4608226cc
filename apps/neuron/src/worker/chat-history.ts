/**
 * OpenAI-style messages → node-llama-cpp chat history. System turns merge into one leading system
 * item; an assistant's tool calls and the tool results that follow become function-call entries of
 * that model response, which is how node-llama-cpp renders tool use through the chat template; an
 * earlier thought comes back as the response's thought segment. A conversation that ends with tool
 * results asks the model to go on with that same response (as node-llama-cpp does after a call),
 * not to start a new one: templates render the results, then the model's continuation, with the
 * thought of that turn kept. A partial last answer (a stream resumed after a fault elsewhere) is the
 * response the model goes on writing: its thought left open when no text or call came after it.
 * Pure and structural (no node-llama-cpp import), so it is unit-tested directly.
 */
import type { WorkerMessage } from '@app/core';

export type HistoryFunctionCall = { type: 'functionCall'; name: string; params: unknown; result: unknown };
/** A thought the model had, rendered back through its template's thought segment. */
export type HistoryThought = { type: 'segment'; segmentType: 'thought'; text: string; ended: boolean };
export type HistoryItem =
  | { type: 'system'; text: string }
  | { type: 'user'; text: string }
  | { type: 'model'; response: Array<string | HistoryFunctionCall | HistoryThought> };

function parseArgs(args: string): unknown {
  try {
    return JSON.parse(args);
  } catch {
    return args;
  }
}

/**
 * The history ends with the response the model is asked to write: an empty one, or the last one when
 * only tool results came after it.
 */
export function toChatHistory(messages: readonly WorkerMessage[]): HistoryItem[] {
  const system = messages.filter((m) => m.role === 'system').map((m) => m.content);
  const items: HistoryItem[] = system.length ? [{ type: 'system', text: system.join('\n\n') }] : [];
  const pendingCalls = new Map<string, HistoryFunctionCall>();
  let continues = false;
  for (const m of messages) {
    // A partial answer right after tool results goes on with the response those results continued.
    const onward = continues && m.role === 'assistant' && m.partial === true;
    continues = false;
    if (m.role === 'user') items.push({ type: 'user', text: m.content });
    if (m.role === 'assistant') {
      continues = m.partial === true;
      const open = continues && !m.content && !m.toolCalls?.length;
      const thought: HistoryThought[] = m.thought
        ? [{ type: 'segment', segmentType: 'thought', text: m.thought, ended: !open }]
        : [];
      const last = items.at(-1);
      const response: HistoryItem & { type: 'model' } =
        onward && last?.type === 'model' ? last : { type: 'model', response: [] };
      response.response.push(...thought, ...(m.content ? [m.content] : []));
      for (const call of m.toolCalls ?? []) {
        const fc: HistoryFunctionCall = {
          type: 'functionCall',
          name: call.name,
          params: parseArgs(call.arguments),
          result: '',
        };
        pendingCalls.set(call.id, fc);
        response.response.push(fc);
      }
      if (response !== last) items.push(response);
    }
    if (m.role === 'tool') {
      const call = pendingCalls.get(m.toolCallId);
      if (call) {
        call.result = m.content;
        continues = items.at(-1)?.type === 'model';
      } else items.push({ type: 'user', text: m.content });
    }
  }
  if (!continues) items.push({ type: 'model', response: [] });
  return items;
}
