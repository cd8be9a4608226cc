/**
 * A stream survives its neuron: two real neurons serve one scripted model (greedy, long answers);
 * the serving neuron's device worker is killed (SIGKILL) mid-thought, mid-arguments and mid-text,
 * in every dialect, streamed and not. The client's result must equal the uninterrupted run's, with
 * one resume counted and the request id in both neurons' logs. With no other replica, or with
 * `x-cortex-resume: off`, the stream ends with the error frame as before. Each group of cases gets
 * fresh neurons: a worker killed five times in two minutes is marked failed, by design.
 */
/* eslint-disable @typescript-eslint/no-explicit-any -- three dialects' events, read by field name */
import { randomUUID } from 'node:crypto';
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SseParser } from '@app/translate';
import { type GatewayHandle, startGateway } from './helpers/gateway';
import { LONG_ANSWER, LONG_ARGS, LONG_THOUGHT, LONG_TOOL, makeLongWeather } from './helpers/long-weather';
import { type NeuronHandle, startNeuron } from './helpers/neuron';
import { json, until } from './helpers/processes';

type Dialect = 'chat' | 'messages' | 'responses';
type Moment = 'thought' | 'args' | 'text';

/** A request's outcome, its id, and the neuron whose worker was killed under it. */
type Run = Outcome & { requestId: string; killedOn?: NeuronHandle };

/** What a client ends up with, in any dialect. */
interface Outcome {
  thinking: string;
  text: string;
  calls: Array<{ name: string; args: string }>;
  stop: string;
  error?: string;
  outputTokens?: number;
}

const QUESTION = 'What is the weather in Paris?';
const RESULT = 'Weather: sunny, 21 C';

function request(dialect: Dialect, stream: boolean, turn: 1 | 2): { path: string; body: object } {
  const user = { role: 'user', content: QUESTION };
  const args = JSON.stringify(LONG_ARGS);
  switch (dialect) {
    case 'chat':
      return {
        path: '/v1/chat/completions',
        body: {
          model: 'w',
          stream,
          temperature: 0,
          tools: [{ type: 'function', function: LONG_TOOL }],
          ...(stream ? { stream_options: { include_usage: true } } : {}),
          messages:
            turn === 1
              ? [user]
              : [
                  user,
                  {
                    role: 'assistant',
                    content: null,
                    reasoning_content: LONG_THOUGHT,
                    tool_calls: [{ id: 'c1', type: 'function', function: { name: 'get_weather', arguments: args } }],
                  },
                  { role: 'tool', tool_call_id: 'c1', content: RESULT },
                ],
        },
      };
    case 'messages':
      return {
        path: '/v1/messages',
        body: {
          model: 'w',
          stream,
          temperature: 0,
          max_tokens: 2000,
          thinking: { type: 'enabled', budget_tokens: 1024 },
          tools: [{ name: LONG_TOOL.name, description: LONG_TOOL.description, input_schema: LONG_TOOL.parameters }],
          messages: [user],
        },
      };
    case 'responses':
      return {
        path: '/v1/responses',
        body: {
          model: 'w',
          stream,
          temperature: 0,
          store: false,
          tools: [{ type: 'function', ...LONG_TOOL }],
          input: QUESTION,
        },
      };
  }
}

/** Folds one dialect's event (or whole body) into the outcome; returns the kind of delta it was. */
function fold(dialect: Dialect, o: Outcome, e: Record<string, any>): Moment | null {
  if (dialect === 'chat') {
    if (e.error) o.error = e.error.code;
    if (e.usage) o.outputTokens = e.usage.completion_tokens;
    const c = e.choices?.[0];
    if (c?.finish_reason) o.stop = c.finish_reason;
    const d = c?.delta ?? c?.message;
    if (!d) return null;
    o.thinking += d.reasoning_content ?? '';
    o.text += d.content ?? '';
    for (const t of d.tool_calls ?? []) {
      const i = t.index ?? o.calls.length;
      o.calls[i] ??= { name: '', args: '' };
      o.calls[i]!.name += t.function?.name ?? '';
      o.calls[i]!.args += t.function?.arguments ?? '';
    }
    if (d.tool_calls?.some((t: any) => t.function?.arguments)) return 'args';
    return d.reasoning_content ? 'thought' : d.content ? 'text' : null;
  }
  if (dialect === 'messages') {
    if (e.type === 'error') o.error = e.error?.type;
    if (e.type === 'message') {
      for (const b of e.content) fold(dialect, o, { type: 'content_block_start', content_block: b, whole: true });
      o.stop = e.stop_reason;
      o.outputTokens = e.usage?.output_tokens;
      return null;
    }
    if (e.type === 'content_block_start' && e.content_block.type === 'tool_use') {
      o.calls.push({ name: e.content_block.name, args: e.whole ? JSON.stringify(e.content_block.input) : '' });
    }
    if (e.whole && e.content_block.type === 'thinking') o.thinking += e.content_block.thinking;
    if (e.whole && e.content_block.type === 'text') o.text += e.content_block.text;
    if (e.type === 'message_delta') {
      o.stop = e.delta?.stop_reason;
      o.outputTokens = e.usage?.output_tokens;
    }
    if (e.type !== 'content_block_delta') return null;
    if (e.delta.type === 'thinking_delta') return ((o.thinking += e.delta.thinking), 'thought');
    if (e.delta.type === 'text_delta') return ((o.text += e.delta.text), 'text');
    if (e.delta.type === 'input_json_delta') return ((o.calls.at(-1)!.args += e.delta.partial_json), 'args');
    return null;
  }
  // Responses: the final response object says it all; deltas only tell the moment.
  const r =
    e.type === 'response.completed' || e.type === 'response.failed' ? e.response : e.object === 'response' ? e : null;
  if (e.type === 'error' || e.type === 'response.failed') o.error = e.response?.error?.code ?? e.code ?? 'error';
  if (r) {
    for (const item of r.output ?? []) {
      if (item.type === 'reasoning')
        o.thinking += (item.content ?? item.summary ?? []).map((p: any) => p.text).join('');
      if (item.type === 'message') o.text += item.content.map((p: any) => p.text ?? '').join('');
      if (item.type === 'function_call') o.calls.push({ name: item.name, args: item.arguments });
    }
    o.stop = r.status;
    o.outputTokens = r.usage?.output_tokens;
    return null;
  }
  if (e.type === 'response.reasoning_text.delta' || e.type === 'response.reasoning_summary_text.delta')
    return 'thought';
  if (e.type === 'response.function_call_arguments.delta') return 'args';
  if (e.type === 'response.output_text.delta') return 'text';
  return null;
}

const kills: number[] = [];
let modelDir: string;

beforeAll(async () => {
  modelDir = mkdtempSync(join(tmpdir(), 'cortex-resume-model-'));
  await makeLongWeather(modelDir, 'w');
}, 120_000);

afterAll(() => {
  if (kills.length) {
    const ms = [...kills].sort((x, y) => x - y);
    console.log(
      `resume: longest gap after the kill p50 ${ms[Math.floor(ms.length / 2)]} ms, max ${ms.at(-1)} ms (n=${ms.length})`,
    );
  }
  if (modelDir) rmSync(modelDir, { recursive: true, force: true });
});

type Case = [Dialect, boolean, 1 | 2, Moment];

/** At most four kills per group, so no worker reaches the crash-loop guard (five in two minutes). */
const GROUPS: Array<{ name: string; cases: Case[]; extra: 'malformed' | 'no_replica' | 'off' }> = [
  {
    name: 'chat',
    cases: [
      ['chat', true, 1, 'thought'],
      ['chat', true, 1, 'args'],
      ['chat', true, 2, 'text'],
      ['chat', false, 1, 'args'],
    ],
    extra: 'malformed',
  },
  {
    name: 'messages',
    cases: [
      ['messages', true, 1, 'thought'],
      ['messages', true, 1, 'args'],
      ['messages', false, 1, 'args'],
    ],
    extra: 'no_replica',
  },
  {
    name: 'responses',
    cases: [
      ['responses', true, 1, 'thought'],
      ['responses', true, 1, 'args'],
      ['responses', false, 1, 'args'],
    ],
    extra: 'off',
  },
];

describe.each(GROUPS)('a stream survives its neuron ($name): resumed on another replica', ({ cases, extra }) => {
  let a: NeuronHandle;
  let b: NeuronHandle;
  let gw: GatewayHandle;
  let solo: GatewayHandle;
  const baselines = new Map<string, Run>();

  beforeAll(async () => {
    [a, b] = await Promise.all([
      startNeuron('devices = ["cpu"]\n', { models: [] }),
      startNeuron('devices = ["cpu"]\n', { models: [] }),
    ]);
    for (const n of [a, b]) {
      mkdirSync(n.modelsDir, { recursive: true });
      copyFileSync(join(modelDir, 'w.gguf'), join(n.modelsDir, 'w.gguf'));
      expect((await json(`${n.url}/models/load`, { id: 'w', source: 'w.gguf' })).status).toBe(200);
    }
    const models = '[[models]]\nid = "w"\nsource = "w.gguf"\n';
    gw = await startGateway({
      neurons: [
        { name: 'a', url: a.url },
        { name: 'b', url: b.url },
      ],
      models,
    });
    solo = await startGateway({ neurons: [{ name: 'a', url: a.url }], models });
  }, 300_000);

  afterAll(async () => {
    await gw?.close();
    await solo?.close();
    await a?.close();
    await b?.close();
  });

  /** Both replicas serve the model again (after a kill their worker restarts and reloads it). */
  const bothReady = async () => {
    for (const n of [a, b]) await n.waitStatus('w', 'loaded', 60_000);
    // …and the gateways' polls have seen it (a replica still `recovering` there could take nothing).
    for (const g of [gw, solo]) {
      await until(async () => {
        const f = (
          await json<{ neurons: Array<{ healthy: boolean; models: Array<{ id: string; status: string }> }> }>(
            `${g.url}/admin/fleet`,
          )
        ).body;
        return f.neurons.every((n) => n.healthy && n.models.some((m) => m.id === 'w' && m.status === 'loaded'));
      }, 30_000);
    }
  };

  /** SIGKILL the device worker of whichever neuron is generating; the kill's time. */
  const killServing = async (): Promise<{ at: number; neuron: NeuronHandle }> => {
    const serving = await until(
      async () => {
        for (const n of [a, b]) {
          const h = await n.health();
          if (h.models.some((m) => m.id === 'w' && Number(m.in_flight) > 0))
            return { n, pid: Number(h.devices[0]!.pid) };
        }
        return undefined;
      },
      10_000,
      5,
    );
    process.kill(serving.pid, 'SIGKILL');
    return { at: performance.now(), neuron: serving.n };
  };

  const metric = async (g: GatewayHandle, result: string) =>
    Number(
      new RegExp(`cortex_stream_resumes_total\\{model="w",result="${result}"\\} (\\d+)`).exec(await g.metrics())?.[1] ??
        0,
    );

  /** Runs one request; `killAt` kills the serving worker at the first delta of that kind (streams) or mid-generation. */
  async function run(
    g: GatewayHandle,
    dialect: Dialect,
    stream: boolean,
    turn: 1 | 2,
    killAt?: Moment,
    headers: Record<string, string> = {},
  ): Promise<Run> {
    const { path, body } = request(dialect, stream, turn);
    const requestId = `resume-${randomUUID()}`;
    const o: Run = { thinking: '', text: '', calls: [], stop: '', requestId };
    const pending = fetch(`${g.url}${path}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'anthropic-version': '2023-06-01',
        'x-request-id': requestId,
        ...headers,
      },
      body: JSON.stringify(body),
    });
    if (!stream) {
      if (killAt) {
        const k = await killServing();
        o.killedOn = k.neuron;
      }
      const res = await pending;
      const e = (await res.json()) as Record<string, any>;
      if (res.status !== 200) o.error = e.error?.code ?? e.error?.type;
      else fold(dialect, o, e);
      return o;
    }
    const res = await pending;
    expect(res.status).toBe(200);
    const parser = new SseParser();
    const decoder = new TextDecoder();
    let killed: number | null = null;
    let stall = 0;
    let last = 0;
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      for (const item of parser.push(decoder.decode(chunk, { stream: true }))) {
        if (item.kind === 'done') continue;
        const moment = fold(dialect, o, JSON.parse(item.data) as Record<string, any>);
        // The resume's stall: the longest gap between deltas after the kill (deltas already on the
        // wire arrive first).
        if (moment && killed !== null) {
          const now = performance.now();
          stall = Math.max(stall, now - last);
        }
        if (moment) last = performance.now();
        if (moment && moment === killAt && killed === null) {
          const k = await killServing();
          killed = last = k.at;
          o.killedOn = k.neuron;
        }
      }
    }
    if (killed !== null) kills.push(Math.round(stall));
    return o;
  }

  const baseline = async (dialect: Dialect, stream: boolean, turn: 1 | 2) => {
    const key = `${dialect}/${stream}/${turn}`;
    if (!baselines.has(key)) {
      await bothReady();
      const o = await run(gw, dialect, stream, turn);
      expect(o.error).toBeUndefined();
      baselines.set(key, o);
    }
    return baselines.get(key)!;
  };

  it.each(cases)(
    '%s (stream %s, turn %s): killed mid-%s, the answer equals the uninterrupted one',
    async (dialect, stream, turn, moment) => {
      const want = await baseline(dialect, stream, turn);
      if (turn === 1) {
        expect(want.thinking).toContain(LONG_THOUGHT.slice(0, 40));
        expect(JSON.parse(want.calls[0]!.args)).toEqual(LONG_ARGS);
      } else expect(want.text).toBe(LONG_ANSWER);
      await bothReady();
      const before = await metric(gw, 'ok');
      const got = await run(gw, dialect, stream, turn, moment);
      expect(got.killedOn).toBeDefined();
      const { requestId: _r, killedOn, outputTokens, ...outcome } = got;
      const { requestId: _w, killedOn: _k, outputTokens: wantTokens, ...expected } = want;
      expect(outcome).toEqual(expected);
      // One usage for the whole answer: both parts, within a token of how the template renders the thought's end.
      expect(Math.abs((outputTokens ?? 0) - (wantTokens ?? 0))).toBeLessThanOrEqual(2);
      expect(await metric(gw, 'ok')).toBe(before + 1);
      // The same request id in both neurons' logs: the half that died and the half that finished.
      const other = killedOn === a ? b : a;
      await until(
        async () => killedOn!.output().includes(got.requestId) && other.output().includes(got.requestId),
        5000,
      );
    },
    120_000,
  );

  if (extra === 'no_replica')
    it('with no other replica, the stream ends with the error frame, as before', async () => {
      await bothReady();
      const before = await metric(solo, 'no_replica');
      const got = await run(solo, 'chat', true, 1, 'thought');
      expect(got.error).toBe('device_fault');
      expect(got.stop).toBe('');
      expect(await metric(solo, 'no_replica')).toBe(before + 1);
    }, 120_000);

  if (extra === 'off')
    it('x-cortex-resume: off ends the stream with the error frame even with another replica', async () => {
      await bothReady();
      const before = await metric(gw, 'ok');
      const got = await run(gw, 'messages', true, 1, 'args', { 'x-cortex-resume': 'off' });
      expect(got.error).toBe('overloaded_error');
      expect(await metric(gw, 'ok')).toBe(before);
    }, 120_000);

  if (extra === 'malformed')
    it('refuses a malformed x-cortex-resume in the caller’s dialect', async () => {
      const res = await fetch(`${gw.url}/v1/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01', 'x-cortex-resume': 'maybe' },
        body: JSON.stringify(request('messages', false, 1).body),
      });
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({ type: 'error', error: { type: 'invalid_request_error' } });
    });
});
