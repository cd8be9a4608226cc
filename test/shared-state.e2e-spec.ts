/**
 * Two gateway replicas over one real neuron share their state in a real Redis (Debian's
 * redis-server, which `npm test` installs when missing): a key's requests per minute across both,
 * a budget that concurrent long answers never overdraw, a Responses chain and an item reference
 * with turns alternating between replicas, and a usage ledger equal to the usage the clients were
 * told, kept over a restart; a session's next turn reaches the replica its first went to through
 * either gateway. With Redis killed each concern does what [state] says, and nothing
 * hangs: limits fail open (counted), budgets and stored responses are 503s, answers still flow.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeNeuron } from './fakes/fake-neuron';
import { freePort } from './fakes/free-port';
import { type GatewayHandle, startGateway } from './helpers/gateway';
import { type NeuronHandle, startNeuron } from './helpers/neuron';
import { json, until } from './helpers/processes';

interface Totals {
  requests: number;
  prompt_tokens: number;
  completion_tokens: number;
  errors: number;
}
interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
}

const KEYS =
  '[auth]\nrequire_auth = false\n' +
  '[[auth.keys]]\nkey = "sk-admin"\naccount_id = "ops"\nadmin = true\n' +
  '[[auth.keys]]\nkey = "sk-rpm"\naccount_id = "r"\nrequests_per_minute = 4\n' +
  '[[auth.keys]]\nkey = "sk-budget"\naccount_id = "b"\nkey_id = "b-ci"\nhard_cap = 400\n' +
  '[[auth.keys]]\nkey = "sk-chat"\naccount_id = "c"\n';
const admin = { authorization: 'Bearer sk-admin' };
const as = (key: string) => ({ authorization: `Bearer ${key}` });
const chat = (max: number) => ({ model: 'chat', max_tokens: max, messages: [{ role: 'user', content: 'hi' }] });

describe('gateway replicas share state in Redis', () => {
  let redis: ChildProcess;
  let url: string;
  let neuron: NeuronHandle;
  const gateways: GatewayHandle[] = [];
  const spec = () => ({
    neurons: [{ name: 'n', url: neuron.url }],
    models: '[[models]]\nid = "chat"\nsource = "tiny.gguf"\ncontext_size = 1024\n',
    extra: `${KEYS}[state]\nredis_url = "${url}"\ntimeout_ms = 300\n`,
  });
  const g = (i: number) => gateways[i % 2]!;

  beforeAll(async () => {
    execFileSync('redis-server', ['--version']); // installed by npm test; missing fails here, never skips
    const port = await freePort();
    url = `redis://127.0.0.1:${port}`;
    redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
      stdio: 'ignore',
    });
    neuron = await startNeuron('devices = ["cpu"]\n[admission]\nmax_in_flight = 4\n');
    gateways.push(await startGateway(spec()));
    // Loaded through one replica first, so the second finds it warm.
    expect((await json(`${gateways[0]!.url}/v1/chat/completions`, chat(1), as('sk-chat'))).status).toBe(200);
    gateways.push(await startGateway(spec()));
    await until(
      async () => (await json(`${gateways[1]!.url}/v1/chat/completions`, chat(1), as('sk-chat'))).status === 200,
    );
  }, 90_000);

  afterAll(async () => {
    await Promise.all(gateways.map((x) => x.close()));
    await neuron?.close();
    redis?.kill('SIGKILL');
  });

  it('a key limited to 4 requests a minute gets 4 across both replicas, not 8', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++)
      statuses.push((await json(`${g(i).url}/v1/chat/completions`, chat(1), as('sk-rpm'))).status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(4);
    expect(statuses.filter((s) => s === 429)).toHaveLength(4);
    expect(statuses.slice(0, 4)).toEqual([200, 200, 200, 200]);
  }, 60_000);

  it('concurrent long answers on both replicas never overdraw a budget: what does not fit is refused before it is sent', async () => {
    const budget = async () =>
      (
        await json<{ data: Array<Record<string, number>> }>(`${g(0).url}/admin/budgets`, undefined, admin)
      ).body.data.find((b) => (b.line as unknown as string) === 'key:b-ci')!;
    let told = 0;
    for (let round = 0; round < 3; round++) {
      // Each reserves its body (19) + 96 and spends about 112: at most three fit in 400, whatever is spent.
      const answers = await Promise.all(
        Array.from({ length: 6 }, (_, i) =>
          json<{ usage?: Usage; error?: { code: string } }>(
            `${g(i).url}/v1/chat/completions`,
            chat(96),
            as('sk-budget'),
          ),
        ),
      );
      for (const a of answers) {
        if (a.status === 200) told += a.body.usage!.prompt_tokens + a.body.usage!.completion_tokens;
        else {
          expect(a.status).toBe(429);
          expect(a.body.error!.code).toBe('insufficient_quota');
        }
      }
      // The first round is contended: some fit and the rest are refused (3 of 6 fit in 400).
      if (round === 0) expect(answers.filter((a) => a.status === 200)).toHaveLength(3);
      const b = await until(async () => {
        const v = await budget();
        return v.reserved === 0 ? v : undefined;
      }, 5000);
      expect(b.spent).toBe(told);
      expect(b.spent).toBeLessThanOrEqual(400);
    }
    expect(told).toBeGreaterThan(0);
    // Spent down: the next long answer is refused on either replica.
    for (const i of [0, 1])
      expect((await json(`${g(i).url}/v1/chat/completions`, chat(400), as('sk-budget'))).status).toBe(429);
  }, 120_000);

  it('a Responses chain and an item reference work with turns alternating between replicas', async () => {
    type Resp = { id: string; output: Array<{ id: string; type: string }>; usage: { input_tokens: number } };
    const create = async (i: number, body: Record<string, unknown>) => {
      const r = await json<Resp>(
        `${g(i).url}/v1/responses`,
        { model: 'chat', max_output_tokens: 4, ...body },
        as('sk-chat'),
      );
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      return r.body;
    };
    const first = await create(0, { input: 'hi' });
    const second = await create(1, { input: 'and then?', previous_response_id: first.id });
    expect(second.usage.input_tokens).toBeGreaterThan(first.usage.input_tokens); // the first turn came along
    const message = first.output.find((o) => o.type === 'message')!;
    const third = await create(0, {
      input: [
        { type: 'item_reference', id: message.id },
        { role: 'user', content: 'go on' },
      ],
      previous_response_id: second.id,
    });
    expect(third.usage.input_tokens).toBeGreaterThan(second.usage.input_tokens);
    expect((await json(`${g(1).url}/v1/responses/${third.id}`, undefined, as('sk-chat'))).body).toMatchObject({
      id: third.id,
    });
    const items = await json<{ data: unknown[] }>(
      `${g(0).url}/v1/responses/${second.id}/input_items`,
      undefined,
      as('sk-chat'),
    );
    expect(items.status).toBe(200);
    // Another account cannot see it on either replica.
    expect((await json(`${g(1).url}/v1/responses/${third.id}`)).status).toBe(404);
    const del = await fetch(`${g(1).url}/v1/responses/${third.id}`, { method: 'DELETE', headers: as('sk-chat') });
    expect(del.status).toBe(200);
    expect((await json(`${g(0).url}/v1/responses/${third.id}`, undefined, as('sk-chat'))).status).toBe(404);
  }, 60_000);

  it('counts each request once across replicas, exactly as the clients were told, and keeps it over a restart', async () => {
    const usage = async (x: GatewayHandle) =>
      json<{ totals: Totals }>(`${x.url}/admin/usage?account=anonymous`, undefined, admin);
    const told: Totals = { requests: 0, prompt_tokens: 0, completion_tokens: 0, errors: 0 };
    for (let i = 0; i < 8; i++) {
      const r = await json<{ usage: Usage }>(`${g(i).url}/v1/chat/completions`, chat(i + 1));
      expect(r.status).toBe(200);
      told.requests++;
      told.prompt_tokens += r.body.usage.prompt_tokens;
      told.completion_tokens += r.body.usage.completion_tokens;
    }
    // Writes are not awaited by requests: both replicas see all eight once they land.
    for (const x of gateways) {
      await until(async () => (await usage(x)).body.totals?.requests === 8, 5000, 50);
      expect((await usage(x)).body.totals).toMatchObject(told);
    }
    await gateways[0]!.close();
    gateways[0] = await startGateway(spec());
    expect((await usage(gateways[0])).body.totals).toMatchObject(told);
  }, 60_000);

  it('a session goes on on the replica it started on, whichever gateway its next turn reaches', async () => {
    const a = await startFakeNeuron({ name: 'a', models: [] });
    const b = await startFakeNeuron({ name: 'b', models: ['chat2'] });
    const pair = () =>
      startGateway({
        neurons: [
          { name: 'a', url: a.url },
          { name: 'b', url: b.url },
        ],
        models: '[[models]]\nid = "chat2"\nsource = "chat2.gguf"\n',
        extra: spec().extra,
      });
    const [g0, g1] = [await pair(), await pair()];
    try {
      const ask = async (x: GatewayHandle, id: string, session?: string) => {
        const headers = { ...as('sk-chat'), 'x-request-id': id, ...(session ? { 'x-session-id': session } : {}) };
        // Each opens differently: without a session header, the opening message would be the session.
        const body = { ...chat(1), model: 'chat2', messages: [{ role: 'user', content: id }] };
        expect((await json(`${x.url}/v1/chat/completions`, body, headers)).status).toBe(200);
        const log = await json<{ requests: Array<{ request_id: string; node?: string }> }>(
          `${x.url}/admin/requests`,
          undefined,
          admin,
        );
        return log.body.requests.find((r) => r.request_id === id)?.node;
      };
      expect(await ask(g0, 's1-first', 's1')).toBe('b'); // the only replica then
      expect((await json(`${g0.url}/admin/models/load`, { model: 'chat2', node: 'a' }, admin)).status).toBe(200);
      // Once the other gateway sees both replicas, a request without a session goes to the first by name.
      let n = 0;
      await until(async () => (await ask(g1, `probe-${n++}`)) === 'a', 10_000, 100);
      expect(await ask(g1, 's1-second', 's1')).toBe('b'); // the hint g0 shared
      expect(await ask(g1, 's2-first', 's2')).toBe('a'); // a new session: no hint
    } finally {
      await Promise.all([g0.close(), g1.close(), a.close(), b.close()]);
    }
  }, 60_000);

  it('with Redis killed: limits fail open (counted), budgets and stored responses are 503s, answers still flow, nothing hangs', async () => {
    const kept = await json<{ id: string }>(
      `${g(1).url}/v1/responses`,
      { model: 'chat', input: 'hi', max_output_tokens: 2 },
      as('sk-chat'),
    );
    expect(kept.status).toBe(200);
    redis.kill('SIGKILL');
    const x = g(1);
    // No hang: every call to the store has its deadline (timeout_ms), so each answers at once.
    const limited = await json(`${x.url}/v1/chat/completions`, chat(2), as('sk-rpm'));
    expect([200, 429]).toContain(limited.status); // this replica's own limit now: never a 5xx
    expect((await json(`${x.url}/v1/chat/completions`, chat(2), as('sk-chat'))).status).toBe(200);
    const budgeted = await json<{ error: { code: string } }>(`${x.url}/v1/chat/completions`, chat(2), as('sk-budget'));
    expect(budgeted.status).toBe(503);
    expect(budgeted.body.error.code).toBe('service_unavailable');
    expect(budgeted.headers.get('retry-after')).toBe('5');
    const chained = await json(
      `${x.url}/v1/responses`,
      { model: 'chat', input: 'more', previous_response_id: kept.body.id },
      as('sk-chat'),
    );
    expect(chained.status).toBe(503);
    expect((await json(`${x.url}/v1/responses/${kept.body.id}`, undefined, as('sk-chat'))).status).toBe(503);
    const report = await json(`${x.url}/admin/usage`, undefined, admin);
    expect(report.status).toBe(503);
    expect(report.body).toMatchObject({ error: { code: 'service_unavailable' } });
    const metrics = await x.metrics();
    for (const concern of ['limits', 'budgets', 'responses', 'usage'])
      expect(metrics).toMatch(new RegExp(`cortex_state_errors_total\\{concern="${concern}"\\} [1-9]`));
    expect(x.output()).toMatch(/StateStore/);
  }, 30_000);

  it('the other way round when configured: limits closed (503), budgets open (served unmetered); a replica starts with Redis down', async () => {
    const flipped = await startGateway({
      ...spec(),
      extra: `${spec().extra}limits_when_down = "closed"\nbudgets_when_down = "open"\n`,
    });
    gateways.push(flipped);
    const limited = await json<{ error: { code: string } }>(
      `${flipped.url}/v1/chat/completions`,
      chat(2),
      as('sk-rpm'),
    );
    expect(limited.status).toBe(503);
    expect(limited.body.error.code).toBe('service_unavailable');
    expect((await json(`${flipped.url}/v1/chat/completions`, chat(2), as('sk-budget'))).status).toBe(200);
  }, 30_000);
});
