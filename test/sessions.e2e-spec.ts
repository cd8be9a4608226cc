import { createHash } from 'node:crypto';
import Anthropic from '@anthropic-ai/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GatewayHandle, startGateway } from './helpers/gateway';
import { type NeuronHandle, startNeuron } from './helpers/neuron';
import { json, until } from './helpers/processes';

// Agent sessions keep their KV cache: prefix-aware sequences and the host-RAM tier in real neurons
// (node-llama-cpp on a generated model), session-affine routing across two gateways. Cache reuse is
// asserted from the cached-token counts the neurons report, never from timings.

const SESSIONS = '[sessions]\nidle_sequences = 2\nhost_cache_mb = 64\nmin_saved_tokens = 64\n';
const MODELS = '[[models]]\nid = "chat"\nsource = "tiny.gguf"\ncontext_size = 4096\n';

type Usage = { prompt_tokens: number; prompt_tokens_details?: { cached_tokens: number } };
type Chat = { choices: Array<{ message: { content: string } }>; usage: Usage };
type Msg = { role: string; content: string };

const digest = (s: string) => createHash('sha256').update(`h:${s}`).digest('hex').slice(0, 32);

/** A conversation with a long system prompt of its own, like an agent's. */
function conversation(n: number): Msg[] {
  return [
    { role: 'system', content: `You are agent ${n}. ${`rule${n} `.repeat(400)}` },
    { role: 'user', content: `task ${n}` },
  ];
}

async function turn(url: string, session: string, messages: Msg[]) {
  const r = await json<Chat>(
    `${url}/v1/chat/completions`,
    { model: 'chat', messages, max_tokens: 6, temperature: 0 },
    // The gateway derives its key from x-session-id; a neuron called directly takes the key itself.
    { 'x-session-id': session, 'x-cortex-session': digest(session) },
  );
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  messages.push({ role: 'assistant', content: r.body.choices[0]!.message.content });
  messages.push({ role: 'user', content: 'go on' });
  return r.body;
}

describe('agent sessions keep their KV cache', () => {
  let a: NeuronHandle;
  let b: NeuronHandle;
  let plain: NeuronHandle;
  let gw: GatewayHandle;
  let gw2: GatewayHandle;

  beforeAll(async () => {
    [a, b, plain] = await Promise.all([
      startNeuron(`devices = ["cpu"]\n${SESSIONS}`),
      startNeuron(`devices = ["cpu"]\n${SESSIONS}`),
      startNeuron('devices = ["cpu"]\n[sessions]\nidle_sequences = 0\nhost_cache_mb = 0\n'),
    ]);
    for (const n of [a, b, plain]) {
      const r = await json(`${n.url}/models/load`, { id: 'chat', source: 'tiny.gguf', context_size: 4096, wait: true });
      expect(r.status).toBe(200);
    }
    const neurons = [
      { name: 'a', url: a.url },
      { name: 'b', url: b.url },
    ];
    [gw, gw2] = await Promise.all([
      startGateway({ neurons, models: MODELS }),
      startGateway({ neurons, models: MODELS }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([gw?.close(), gw2?.close()]);
    await Promise.all([a?.close(), b?.close(), plain?.close()]);
  });

  it('two sessions interleaved on one model: each next turn reuses its own prefix', async () => {
    const s1 = conversation(1);
    const s2 = conversation(2);
    const first1 = await turn(a.url, 'inter-1', s1);
    const first2 = await turn(a.url, 'inter-2', s2);
    expect(first1.usage.prompt_tokens_details?.cached_tokens ?? 0).toBeLessThan(20);
    const next1 = await turn(a.url, 'inter-1', s1);
    const next2 = await turn(a.url, 'inter-2', s2);
    expect(next1.usage.prompt_tokens_details!.cached_tokens).toBeGreaterThanOrEqual(first1.usage.prompt_tokens - 1);
    expect(next2.usage.prompt_tokens_details!.cached_tokens).toBeGreaterThanOrEqual(first2.usage.prompt_tokens - 1);
  });

  it('more sessions than sequences: states saved to the host tier come back, with the same greedy output as a fresh prefill', async () => {
    const convs = [3, 4, 5, 6].map(conversation);
    const fresh = convs.map((c) => structuredClone(c));
    const restored: Chat[] = [];
    for (const [i, c] of convs.entries()) await turn(a.url, `tier-${i}`, c);
    for (const [i, c] of convs.entries()) restored.push(await turn(a.url, `tier-${i}`, c));
    for (const r of restored)
      expect(r.usage.prompt_tokens_details!.cached_tokens).toBeGreaterThan(r.usage.prompt_tokens / 2);
    const models = await json<{ data: Array<{ id: string; kv: Record<string, number> }> }>(`${a.url}/models`);
    const kv = models.body.data.find((m) => m.id === 'chat')!.kv;
    expect(kv.sequences).toBe(3);
    expect(kv.tier_hits).toBeGreaterThan(0);
    expect(kv.tier_saves).toBeGreaterThan(0);
    expect(kv.tier_bytes).toBeGreaterThan(0);
    const metrics = await (await fetch(`${a.url}/metrics`)).text();
    expect(metrics).toMatch(/neuron_kv_lookups_total\{model="chat",result="tier_hit"\} [1-9]/);
    expect(metrics).toMatch(/neuron_kv_tokens_total\{model="chat",op="restore"\} [1-9]/);
    expect(metrics).toMatch(/neuron_tokens_total\{model="chat",kind="cached"\} [1-9]/);
    // The same two turns on a neuron with no cache at all: every prompt prefilled from scratch.
    for (const c of fresh) await turn(plain.url, 'x', c);
    for (const [i, c] of fresh.entries()) {
      const r = await turn(plain.url, 'x', c);
      expect(r.usage.prompt_tokens_details!.cached_tokens).toBeLessThan(20); // the chat template's opening only
      expect(r.choices[0]!.message.content).toBe(restored[i]!.choices[0]!.message.content);
    }
  });

  it('reports cached tokens in every dialect (Anthropic cache_read_input_tokens)', async () => {
    const anthropic = new Anthropic({ baseURL: gw.url, apiKey: 'x', maxRetries: 0 });
    const ask = {
      model: 'chat',
      max_tokens: 4,
      temperature: 0,
      system: `You are Claude Code. ${'tool '.repeat(300)}`,
      messages: [{ role: 'user' as const, content: 'hi' }],
    };
    const opts = { headers: { 'x-claude-code-session-id': 'cc-1' } };
    await anthropic.messages.create(ask, opts);
    const again = await anthropic.messages.create(ask, opts);
    expect(again.usage.cache_read_input_tokens).toBeGreaterThan(300);
  });

  it('two gateways send the same session to the neuron that holds it warm', async () => {
    const conv = conversation(7);
    // The session's first turn landed on b (say, through a third gateway).
    const first = await turn(b.url, 'affine', conv);
    const warmOn = async (g: GatewayHandle) =>
      (
        await json<{
          neurons: Array<{ name: string; models: Array<{ id: string; kv?: { warm_sessions: string[] } }> }>;
        }>(`${g.url}/admin/fleet`)
      ).body.neurons.some(
        (n) => n.name === 'b' && n.models.some((m) => m.kv?.warm_sessions.includes(digest('affine'))),
      );
    await until(async () => (await warmOn(gw)) && (await warmOn(gw2)), 5000, 50);
    const viaA = await turn(gw.url, 'affine', conv);
    const viaB = await turn(gw2.url, 'affine', conv);
    // Only b holds this conversation: cached tokens prove both gateways chose it.
    expect(viaA.usage.prompt_tokens_details!.cached_tokens).toBeGreaterThanOrEqual(first.usage.prompt_tokens - 1);
    expect(viaB.usage.prompt_tokens_details!.cached_tokens).toBeGreaterThanOrEqual(viaA.usage.prompt_tokens - 1);
  });
});
