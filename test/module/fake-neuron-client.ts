/**
 * An in-memory stand-in for the gateway's NeuronClient, for module tests: a fleet of nodes whose
 * devices and models it reports as the contract says, loads and unloads it records, and inference
 * answers each test scripts (JSON, SSE, errors, connection failures, streams held open).
 */
import type {
  BuildInfo,
  EstimateRequest,
  LoadModelRequest,
  NeuronDevice,
  NeuronDiscovery,
  NeuronHealth,
  NeuronModel,
  NeuronModelList,
  TokenizeRequest,
  TokenizeResponse,
  UnloadModelResponse,
} from '@app/core';
import type { NodeState } from '../../apps/gateway/src/fleet/fleet.types';
import type { NeuronClient, UpstreamResponse } from '../../apps/gateway/src/upstream/neuron-client';
import { UpstreamError } from '../../apps/gateway/src/upstream/upstream-error';

export interface FakeNode {
  devices: NeuronDevice[];
  models: NeuronModel[];
}

export interface Forwarded {
  node: string;
  path: string;
  body: Record<string, unknown>;
  /** The body's text as the gateway sent it. */
  text: string;
  headers: Record<string, string>;
  signal: AbortSignal;
}

/** How a node answers an inference request (throw an UpstreamError to fail the connection). */
export type Answer = (req: Forwarded) => UpstreamResponse | Promise<UpstreamResponse>;

export function device(id: string, totalMb: number, freeMb = totalMb): NeuronDevice {
  return { id, kind: 'cuda', state: 'ready', vram_total_mb: totalMb, vram_free_mb: freeMb, models: [] };
}

export function model(id: string, dev: string, vramMb: number, lastUsed: string | null = null): NeuronModel {
  return {
    id,
    device: dev,
    status: 'loaded',
    vram_mb: vramMb,
    context_size: 4096,
    in_flight: 0,
    queue_depth: 0,
    max_in_flight: 4,
    last_used_at: lastUsed,
    loaded_at: new Date(0).toISOString(),
  };
}

/** A whole upstream answer. */
export function jsonAnswer(status: number, body: unknown, headers: Record<string, string> = {}): UpstreamResponse {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  return {
    status,
    headers: { 'content-type': 'application/json', ...headers },
    body: {
      text: async () => text,
      async *[Symbol.asyncIterator]() {
        yield Buffer.from(text);
      },
    },
  };
}

/** An upstream event stream of `payloads` (each a `data:` frame); `hold` keeps it open until it settles. */
export function sseAnswer(
  payloads: unknown[],
  opts: { hold?: Promise<unknown>; done?: boolean } = {},
): UpstreamResponse {
  const frames = payloads.map((p) => `data: ${typeof p === 'string' ? p : JSON.stringify(p)}\n\n`);
  if (opts.done !== false) frames.push('data: [DONE]\n\n');
  return {
    status: 200,
    headers: { 'content-type': 'text/event-stream' },
    body: {
      text: async () => frames.join(''),
      async *[Symbol.asyncIterator]() {
        yield Buffer.from(frames.shift() ?? '');
        if (opts.hold) await opts.hold;
        for (const f of frames) yield Buffer.from(f);
      },
    },
  };
}

/** One OpenAI chat chunk with `content`, and the last one with its finish and usage. */
export const chunk = (content: string) => ({
  id: 'c1',
  object: 'chat.completion.chunk',
  model: 'm',
  choices: [{ index: 0, delta: { content } }],
});
export const lastChunk = () => ({
  id: 'c1',
  object: 'chat.completion.chunk',
  model: 'm',
  choices: [{ index: 0, delta: {}, finish_reason: 'stop' }],
  usage: { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 },
});
export const completion = (content: string) => ({
  id: 'c1',
  object: 'chat.completion',
  model: 'm',
  choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
  usage: { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 },
});

/** The calls the gateway makes, with the real client's types, so a change to either breaks this build. */
type Calls = 'discovery' | 'models' | 'health' | 'estimate' | 'load' | 'unload' | 'tokenize' | 'forward';

export class FakeNeuronClient implements Pick<NeuronClient, Calls> {
  readonly nodes = new Map<string, FakeNode>();
  readonly loads: Array<{ node: string; spec: LoadModelRequest }> = [];
  readonly unloads: Array<{ node: string; id: string }> = [];
  readonly forwarded: Forwarded[] = [];
  /** Per node; the default answers every chat with one completion. */
  readonly answers = new Map<string, Answer>();
  /** What each node's /discovery says it runs (none: a neuron too old to say). */
  readonly builds = new Map<string, BuildInfo>();
  /** Loads wait for this before they finish (a test holds them to pile requests up). */
  loadGate: Promise<unknown> = Promise.resolve();

  node(name: string, spec: FakeNode): this {
    this.nodes.set(name, spec);
    return this;
  }

  private of(node: NodeState): FakeNode {
    const n = this.nodes.get(node.name);
    if (!n) throw new UpstreamError(node.name, 'connect', `${node.name}: ECONNREFUSED`);
    return n;
  }

  async discovery(node: NodeState): Promise<NeuronDiscovery> {
    const n = this.of(node);
    const devices = n.devices.map((d) => ({ id: d.id, kind: d.kind, name: d.id, vram_total_mb: d.vram_total_mb }));
    const build = this.builds.get(node.name);
    return {
      name: node.name,
      hostname: node.name,
      version: build?.version ?? 'fake',
      ...(build ? { build } : {}),
      devices,
    };
  }

  async models(node: NodeState): Promise<NeuronModelList> {
    return { object: 'list', data: this.of(node).models.map((m) => ({ ...m })) };
  }

  async health(node: NodeState): Promise<NeuronHealth> {
    return { status: 'ok', name: node.name, uptime_s: 1, devices: this.of(node).devices, models: [] };
  }

  async estimate(node: NodeState, body: EstimateRequest) {
    return {
      source: body.source,
      device: body.device ?? 'gpu0',
      context_size: 4096,
      train_context_size: 4096,
      sequences: 1,
      estimated_vram_mb: 10,
    };
  }

  async load(node: NodeState, spec: LoadModelRequest): Promise<NeuronModel> {
    this.loads.push({ node: node.name, spec });
    await this.loadGate;
    const n = this.of(node);
    const m = model(spec.id, spec.device ?? n.devices[0]!.id, 40, new Date().toISOString());
    n.models.push(m);
    return m;
  }

  async unload(node: NodeState, id: string): Promise<UnloadModelResponse> {
    this.unloads.push({ node: node.name, id });
    const n = this.of(node);
    n.models = n.models.filter((m) => m.id !== id);
    return { id, status: 'unloaded' };
  }

  async tokenize(node: NodeState, body: TokenizeRequest): Promise<TokenizeResponse> {
    return { model: body.model, count: 7 };
  }

  async forward(
    node: NodeState,
    path: string,
    body: string,
    _stream: boolean,
    headers: Record<string, string>,
    signal: AbortSignal,
  ): Promise<UpstreamResponse> {
    this.of(node);
    const req = {
      node: node.name,
      path,
      body: JSON.parse(body) as Record<string, unknown>,
      text: body,
      headers,
      signal,
    };
    this.forwarded.push(req);
    const answer = this.answers.get(node.name);
    if (answer) return answer(req);
    return req.body.stream === true ? sseAnswer([chunk('hi'), lastChunk()]) : jsonAnswer(200, completion('hi'));
  }
}
