/**
 * The typed IPC protocol between a neuron and its per-device worker child. The parent sends
 * ParentToChild messages and the child answers with ChildToParent messages that carry the same
 * `reqId`. Every message is plain JSON (child_process `serialization: 'json'`).
 */

export interface ChatToolCall {
  id: string;
  name: string;
  /** JSON text of the arguments. */
  arguments: string;
}

/** OpenAI-style messages after validation, flattened to what the worker needs. */
export type WorkerMessage =
  | { role: 'system'; content: string }
  | { role: 'user'; content: string }
  | {
      role: 'assistant';
      content: string;
      toolCalls?: ChatToolCall[];
      thought?: string;
      /**
       * The answer being written, cut short (continue_final_message): the model goes on from its
       * last token, inside the thought when no text came after it yet.
       */
      partial?: boolean;
    }
  | { role: 'tool'; toolCallId: string; content: string };

export interface WorkerTool {
  name: string;
  description?: string;
  parameters?: Record<string, unknown>;
}

export interface SamplingParams {
  maxTokens: number;
  temperature?: number;
  topP?: number;
  topK?: number;
  seed?: number;
  stop?: string[];
  presencePenalty?: number;
  frequencyPenalty?: number;
  /** A JSON schema the output must match (response_format json_schema / json_object = {}). */
  jsonSchema?: Record<string, unknown>;
  /** Most tokens a thinking model may spend thinking (reasoning_effort, thinking budget_tokens). */
  thoughtTokens?: number;
}

/**
 * Fault injection, honoured only when CORTEX_NEURON_FAULTS=1. `silent` is not a fault: after one
 * text chunk the generation's tokens make no more text, as a long tool call's or a thought's don't.
 */
export type FaultKind = 'crash' | 'js_error' | 'hang' | 'native' | 'silent';
export const FAULT_KINDS: readonly FaultKind[] = ['crash', 'js_error', 'hang', 'native', 'silent'];

/** What decides a model's context: the one asked for, else the largest that fits `budgetMb`. */
export interface ContextRequest {
  /** Asked for (context_size): used as is. */
  contextSize?: number;
  /** The least context worth serving (min(trained, this) must fit, or the load is refused). */
  minContext: number;
  /** KV sequences the context is allocated for (seats plus idle ones). */
  sequences: number;
  /** Memory free for the model on its device (MiB); unset: plan for the floor. */
  budgetMb?: number;
}

export interface LoadSpec extends ContextRequest {
  id: string;
  /** Absolute path of the model file (remote sources are downloaded by the neuron first). */
  source: string;
}

export type ParentToChild =
  | { type: 'load'; reqId: string; spec: LoadSpec }
  | { type: 'unload'; reqId: string; id: string }
  | {
      type: 'generate';
      reqId: string;
      modelId: string;
      mode: 'chat' | 'completion';
      messages?: WorkerMessage[];
      prompt?: string;
      tools?: WorkerTool[];
      toolChoice?: 'auto' | 'none' | 'required';
      /** At most one tool call per turn (parallel_tool_calls: false). */
      singleToolCall?: boolean;
      params: SamplingParams;
      /** The gateway's (hashed) session key: picks the KV sequence and the saved state to reuse. */
      session?: string;
      fault?: FaultKind;
    }
  | { type: 'abort'; reqId: string }
  | {
      type: 'tokenize';
      reqId: string;
      modelId: string;
      messages?: WorkerMessage[];
      text?: string;
      tools?: WorkerTool[];
      /** Also answer the prompt text the model would see (special tokens spelled out). */
      withPrompt?: boolean;
    }
  | { type: 'embed'; reqId: string; modelId: string; inputs: string[] }
  | ({ type: 'estimate'; reqId: string; path: string } & ContextRequest)
  | { type: 'stats'; reqId: string }
  | { type: 'shutdown' };

export type FinishReason = 'stop' | 'length' | 'tool_calls';

/** What a generation streams before its result: text, thought text, and tool-call fragments. */
export type GenerationEvent =
  | { kind: 'text'; text: string }
  | { kind: 'thought'; text: string }
  | { kind: 'call'; index: number; id: string; name: string; args: string };

export interface GenerationResult {
  text: string;
  /** The model's thought segments, when it thought. */
  reasoning?: string;
  reasoningTokens?: number;
  finishReason: FinishReason;
  /** The stop string that ended generation, when one did. */
  matchedStop?: string;
  toolCalls?: ChatToolCall[];
  promptTokens: number;
  /** Prompt tokens reused from a KV sequence (kept, or restored from the host tier), not prefilled. */
  cachedTokens?: number;
  /** The model's KV sessions after this request. */
  kv?: KvSnapshot;
  completionTokens: number;
  /** Milliseconds from request receipt (in the worker) to first token, and from then to the end. */
  ttftMs: number;
  decodeMs: number;
}

/** What a model's KV sequences and its share of the host-RAM tier hold, and how they have served. */
export interface KvSnapshot {
  /** Session keys whose prefix is warm: in a sequence or saved in the host tier. */
  warm: string[];
  /** Requests whose prefix came from a sequence / from the host tier / from neither (full prefill). */
  sequenceHits: number;
  tierHits: number;
  misses: number;
  /** Host tier: states saved, held now, bytes held. */
  saves: number;
  tierEntries: number;
  tierBytes: number;
  /** Time spent restoring states, and the tokens they brought back (restore vs prefill). */
  restoreMs: number;
  restoredTokens: number;
  /** Time spent prefilling prompts on full misses, and the tokens prefilled. */
  prefillMs: number;
  prefilledTokens: number;
}

export interface LoadResult {
  id: string;
  contextSize: number;
  trainContextSize: number;
  sequences: number;
  vramMb: number;
  estimatedVramMb: number;
  path: string;
  capabilities: string[];
  /** node-llama-cpp's chat wrapper for the model's template ("Qwen", "Llama 3", "Jinja", …). */
  chatWrapper: string;
}

/** The context a model gets on a device and the memory it takes, from its GGUF (answer to `estimate`). */
export interface ContextPlan {
  contextSize: number;
  estimatedMb: number;
  trainContextSize: number;
  /** The least context it may get (the floor, or the one asked for), and the memory that takes. */
  minContextSize: number;
  minMb: number;
}

export interface WorkerStats {
  vramTotalMb: number;
  vramUsedMb: number;
  vramFreeMb: number;
  models: string[];
}

/** Why a request failed. `native` means the device is poisoned; the others fail only the request. */
export type WorkerErrorKind = 'native' | 'js' | 'aborted' | 'bad_request' | 'context_length' | 'not_found';

export interface WorkerError {
  kind: WorkerErrorKind;
  message: string;
  param?: string;
  code?: string;
}

export type ChildToParent =
  | { type: 'ready'; pid: number; backend: 'cpu' | 'cuda'; deviceName: string; vramTotalMb: number }
  | { type: 'progress'; reqId: string; progress: number }
  | { type: 'chunk'; reqId: string; text: string; tokens: number; kind?: 'thought' }
  /** A tool call as it is generated: its id and name first (args ''), then argument fragments. */
  | { type: 'call'; reqId: string; index: number; id: string; name: string; args: string }
  /** Tokens are being generated (of any kind: text, thought, tool call); at most every 100 ms. */
  | { type: 'alive'; reqId: string; tokens: number }
  | { type: 'done'; reqId: string; result: unknown }
  | { type: 'error'; reqId: string; error: WorkerError }
  | { type: 'stats'; reqId: string; stats: WorkerStats };

/** Environment variable carrying the worker's JSON configuration. */
export const WORKER_CONFIG_ENV = 'CORTEX_DEVICE_WORKER';

export interface WorkerConfig {
  deviceId: string;
  kind: 'cpu' | 'cuda';
  threads: number;
  faults: boolean;
  /** Host-RAM tier of saved KV states (neuron.toml [sessions]); 0 MB turns it off. */
  sessions?: { hostCacheMb: number; minSavedTokens: number };
}
