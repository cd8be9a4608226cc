/**
 * tool_choice "required" (and a named tool, narrowed to that one tool before it gets here): node-llama-cpp
 * has no option that forces a call, so the model's own chat wrapper is wrapped to open the turn in
 * function-call mode. Its call prefix is injected as if the model had written it, and the name and
 * arguments are then grammar-constrained by node-llama-cpp as usual. Once the turn holds a call the
 * wrapper stops forcing, or it would loop. A thinking model does not think first on a forced turn.
 */
import type { ChatWrapper, Nlc } from './engine-types';

type ContextStateOptions = Parameters<ChatWrapper['generateContextState']>[0];

export function forcingToolCall(nlc: Nlc, base: ChatWrapper): ChatWrapper {
  const prefix = base.settings.functions.call.prefix;
  const forced = Object.create(base) as ChatWrapper;
  forced.generateContextState = (options: ContextStateOptions) => {
    const state = base.generateContextState(options);
    const last = options.chatHistory.at(-1);
    const called =
      last?.type === 'model' && last.response.some((r) => typeof r !== 'string' && r.type === 'functionCall');
    if (called) return state;
    return {
      ...state,
      prefixTriggers: undefined,
      noPrefixTrigger: { type: 'functionCall', inject: nlc.LlamaText(prefix) },
    } as ReturnType<ChatWrapper['generateContextState']>;
  };
  return forced;
}
