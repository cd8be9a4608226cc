/**
 * A request's prompt as its model sees it: the messages as the chat history the model's wrapper
 * renders (chat-history.ts, fitted to the template by chat-wrapper.ts), rendered by the wrapper,
 * tokenized, or spelled out as text for a caller who asks what the model is given.
 */
import type { WorkerMessage } from '@app/core';
import { toChatHistory } from './chat-history';
import { fitHistory } from './chat-wrapper';
import type { ChatHistoryItem, ChatModelFunctions } from './engine-types';
import type { LoadedModel } from './loaded-model';

/** A request's messages as the chat history its model's wrapper renders. */
export function historyOf(entry: LoadedModel, messages: WorkerMessage[] | undefined): ChatHistoryItem[] {
  return fitHistory(entry.chatWrapper.wrapperName, toChatHistory(messages ?? [])) as ChatHistoryItem[];
}

/** Prompt tokens of a chat history as the model's chat template renders it (tools included). */
export function promptTokens(entry: LoadedModel, history: ChatHistoryItem[], functions?: ChatModelFunctions): number[] {
  return renderPrompt(entry, history, functions).tokenize(entry.model.tokenizer) as number[];
}

export function renderPrompt(entry: LoadedModel, history: ChatHistoryItem[], functions?: ChatModelFunctions) {
  return entry.chatWrapper.generateContextState({ chatHistory: history, availableFunctions: functions }).contextText;
}

/** A rendered prompt as text: special tokens spelled as the vocabulary spells them (BOS as `<s>`, say). */
export function promptText(entry: LoadedModel, text: ReturnType<typeof renderPrompt>): string {
  const specials: Record<string, string | null> = {
    BOS: entry.model.tokens.bosString,
    EOS: entry.model.tokens.eosString,
    EOT: entry.model.tokens.eotString,
    NL: entry.model.tokens.nlString,
  };
  return (text.toJSON() as Array<string | { type: string; value: string }>)
    .map((v) => (typeof v === 'string' ? v : v.type === 'specialToken' ? (specials[v.value] ?? '') : v.value))
    .join('');
}
