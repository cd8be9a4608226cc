/**
 * Load: many concurrent streams in each dialect through one built gateway to fake neurons (their
 * own process). Every token must arrive in order and every stream end with its dialect's clean
 * finish. The gateway's RSS and open descriptors (client sockets, upstream sockets, the rest) are
 * read from /proc before, at peak and after two rounds, so a leak shows as growth between rounds;
 * a listener leak shows as Node's MaxListenersExceededWarning in its output. Slow readers must not
 * grow its memory. In fault mode, seeded mid-stream device faults on a fleet of two replicas must
 * not reach a client: each cut stream goes on on the other replica. CI runs it at
 * CORTEX_LOAD_STREAMS=150; `npm run test:load` at 1,000.
 */
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SseParser } from '@app/translate';
import { type FleetProcess, spawnFakeFleet } from '../fakes/fake-fleet';
import { tokenIndexes } from '../fakes/fake-neuron';
import { type GatewayHandle, startGateway } from '../helpers/gateway';

const STREAMS = Number(process.env.CORTEX_LOAD_STREAMS ?? 150);
const TOKENS = 24;
const SLOW_READERS = Math.max(10, STREAMS / 20);
/** What the gateway may queue for one client stream before it drops it ([limits] stall_buffer_mb). */
const STALL_BUFFER_MB = 4;

type Dialect = 'openai' | 'anthropic' | 'responses';

const REQUESTS: Record<Dialect, { path: string; body: object }> = {
  openai: {
    path: '/v1/chat/completions',
    body: { model: 'chat', stream: true, max_tokens: TOKENS, messages: [{ role: 'user', content: 'count' }] },
  },
  anthropic: {
    path: '/v1/messages',
    body: { model: 'chat', stream: true, max_tokens: TOKENS, messages: [{ role: 'user', content: 'count' }] },
  },
  responses: {
    path: '/v1/responses',
    body: { model: 'chat', stream: true, max_output_tokens: TOKENS, input: 'count' },
  },
};

/** The text a parsed event adds, and whether it is the dialect's clean finish. */
function read(dialect: Dialect, data: string): { text?: string; end?: boolean; error?: boolean } {
  if (dialect === 'openai') {
    if (data === '[DONE]') return { end: true };
    const c = JSON.parse(data) as { error?: unknown; choices?: Array<{ delta?: { content?: string } }> };
    return { text: c.choices?.[0]?.delta?.content, error: c.error !== undefined };
  }
  const e = JSON.parse(data) as { type: string; delta?: { text?: string } | string };
  if (dialect === 'anthropic') {
    if (e.type === 'content_block_delta') return { text: (e.delta as { text?: string }).text };
    return { end: e.type === 'message_stop', error: e.type === 'error' };
  }
  if (e.type === 'response.output_text.delta') return { text: e.delta as string };
  return {
    end: e.type === 'response.completed' || e.type === 'response.incomplete',
    error: e.type === 'response.failed' || e.type === 'error',
  };
}

interface StreamResult {
  status: number;
  indexes: number[];
  cleanEnd: boolean;
  errors: number;
}

async function stream(agent: Agent, url: string, dialect: Dialect): Promise<StreamResult> {
  const { path, body } = REQUESTS[dialect];
  const res = await request(`${url}${path}`, {
    method: 'POST',
    dispatcher: agent,
    headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01' },
    body: JSON.stringify(body),
  });
  const parser = new SseParser();
  let text = '';
  let cleanEnd = false;
  let errors = 0;
  for await (const chunk of res.body) {
    for (const item of parser.push(chunk.toString())) {
      const r = read(dialect, item.kind === 'done' ? '[DONE]' : item.data);
      if (cleanEnd) errors++; // nothing may follow the finish
      if (r.text) text += r.text;
      if (r.error) errors++;
      if (r.end) cleanEnd = true;
    }
  }
  return { status: res.statusCode, indexes: tokenIndexes(text), cleanEnd, errors };
}

const rssMb = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;
/**
 * The process's open descriptors, counted from /proc: TCP connections from clients (to `port`),
 * TCP connections to neurons (pooled keep-alive sockets), and everything else.
 */
function descriptors(pid: number, port: number) {
  const inodes = new Set<string>();
  let other = 0;
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    const target = (() => {
      try {
        return readlinkSync(`/proc/${pid}/fd/${fd}`);
      } catch {
        return ''; // closed while listing
      }
    })();
    const m = /^socket:\[(\d+)\]$/.exec(target);
    if (m) inodes.add(m[1]!);
    else if (target) other++;
  }
  let clients = 0;
  let upstream = 0;
  let sockets = 0;
  for (const line of readFileSync(`/proc/${pid}/net/tcp`, 'utf8').split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 10 || !inodes.has(f[9]!)) continue;
    sockets++;
    const local = parseInt(f[1]!.split(':')[1]!, 16);
    const state = f[3];
    if (state === '0A') continue; // listening
    if (local === port) clients++;
    else upstream++;
  }
  return { clients, upstream, other: other + (inodes.size - sockets), total: inodes.size + other };
}

/** Samples the gateway's RSS every 50 ms while `work` runs; resolves with the peak. */
async function peakRss<T>(pid: number, work: Promise<T>): Promise<{ result: T; peakMb: number }> {
  let peakMb = rssMb(pid);
  const timer = setInterval(() => (peakMb = Math.max(peakMb, rssMb(pid))), 50);
  try {
    return { result: await work, peakMb };
  } finally {
    clearInterval(timer);
  }
}

describe(`load: ${STREAMS} concurrent streams per dialect through one gateway`, () => {
  let fleet: FleetProcess;
  let bigFleet: FleetProcess;
  let gw: GatewayHandle;
  const newAgent = () => new Agent({ connections: null, keepAliveTimeout: 2000, bodyTimeout: 60_000 });

  beforeAll(async () => {
    fleet = await spawnFakeFleet({ neurons: 4, options: { tokensPerSecond: 40, pingMs: 500 } });
    bigFleet = await spawnFakeFleet({
      neurons: 1,
      catalogue: ['big'],
      options: { tokensPerSecond: 2000, tokenBytes: 16 * 1024, defaultTokens: 1_000_000 },
    });
    gw = await startGateway({
      neurons: [...fleet.urls, ...bigFleet.urls].map((url, i) => ({ name: `n${i}`, url })),
      models: '[[models]]\nid = "chat"\nsource = "chat.gguf"\n[[models]]\nid = "big"\nsource = "big.gguf"\n',
      // Slow readers are dropped only when they stop reading; these keep reading, slowly.
      extra: `[limits]\nstall_timeout_s = 30\nstall_buffer_mb = ${STALL_BUFFER_MB}\n`,
    });
  }, 120_000);

  afterAll(async () => {
    await gw?.close();
    await fleet?.stop();
    await bigFleet?.stop();
  });

  it('every token arrives in order and every stream ends cleanly; RSS, descriptors and handles come back', async () => {
    const pid = gw.child.pid!;
    const dialects: Dialect[] = ['openai', 'anthropic', 'responses'];
    const warm = newAgent();
    for (const d of dialects) await stream(warm, gw.url, d);
    await warm.close();
    const port = Number(new URL(gw.url).port);
    const before = { rss: rssMb(pid), fds: descriptors(pid, port) };
    const rounds: Array<{ peak: number; rss: number; fds: ReturnType<typeof descriptors> }> = [];
    for (let round = 0; round < 2; round++) {
      const agent = newAgent();
      let peak = 0;
      for (const d of dialects) {
        const { result, peakMb } = await peakRss(
          pid,
          Promise.all(Array.from({ length: STREAMS }, () => stream(agent, gw.url, d))),
        );
        peak = Math.max(peak, peakMb);
        const expected = Array.from({ length: TOKENS }, (_, i) => i);
        const bad = result.filter(
          (r) => r.status !== 200 || !r.cleanEnd || r.errors > 0 || r.indexes.join() !== expected.join(),
        );
        expect(bad.slice(0, 3), `${d}: ${bad.length} of ${STREAMS} streams broken`).toEqual([]);
      }
      await agent.close();
      await new Promise((r) => setTimeout(r, 1500)); // client sockets closed; the gateway settles
      rounds.push({ peak, rss: rssMb(pid), fds: descriptors(pid, port) });
    }
    const [first, second] = rounds as [(typeof rounds)[0], (typeof rounds)[0]];
    const fd = (x: ReturnType<typeof descriptors>) => `${x.clients} client/${x.upstream} upstream/${x.other} other`;
    console.log(
      `load ${STREAMS}×3: RSS ${before.rss.toFixed(0)} → peak ${first.peak.toFixed(0)}/${second.peak.toFixed(0)} → ` +
        `${first.rss.toFixed(0)}/${second.rss.toFixed(0)} MB; fds ${fd(before.fds)} → ${fd(first.fds)} → ${fd(second.fds)}`,
    );
    // Bounded: at most 0.5 MB per concurrent stream at peak, and the second round does not keep what the first did.
    expect(second.peak - before.rss).toBeLessThan(60 + STREAMS * 0.5);
    expect(second.rss - first.rss).toBeLessThan(40 + STREAMS * 0.05);
    // Every client connection is closed, upstream sockets are a bounded keep-alive pool (one per
    // concurrent stream, plus polls), and nothing else (files, pipes, timers' fds) grows between rounds.
    expect(second.fds.clients).toBeLessThanOrEqual(before.fds.clients); // this spec's own fetch keeps one
    // Upstream: one socket per concurrent stream, plus what polls open when they find every pooled
    // socket busy (at most what the idle gateway holds for its polls, `before`), plus sockets the
    // pool replaced while their close was still under way (seen: up to 12 at 150 streams on a slow
    // VM). A leak would add a pool's worth per round: the second round holds what the first did.
    expect(first.fds.upstream).toBeLessThanOrEqual(2 * before.fds.upstream + Math.ceil(STREAMS * 1.1));
    expect(second.fds.upstream).toBeLessThanOrEqual(first.fds.upstream + before.fds.upstream);
    expect(second.fds.other).toBeLessThanOrEqual(first.fds.other);
    expect(gw.output()).not.toContain('MaxListenersExceededWarning');
  }, 600_000);

  it('slow readers do not grow the gateway’s memory without bound', async () => {
    const pid = gw.child.pid!;
    const before = rssMb(pid);
    const slow = new Agent({ connections: null });
    const received: number[] = [];
    const readers = Array.from({ length: SLOW_READERS }, async (_, i) => {
      const res = await request(`${gw.url}/v1/chat/completions`, {
        method: 'POST',
        dispatcher: slow,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'big', stream: true, messages: [{ role: 'user', content: 'x' }] }),
      });
      let got = 0;
      const until = Date.now() + 4000;
      for await (const chunk of res.body) {
        got += (chunk as Buffer).length;
        if (Date.now() > until) break;
        await new Promise((r) => setTimeout(r, 50)); // ~16 KB per 50 ms: far slower than the neuron writes
      }
      received[i] = got;
      res.body.destroy();
    });
    const { peakMb } = await peakRss(pid, Promise.all(readers));
    await slow.close();
    console.log(
      `slow readers ×${SLOW_READERS}: RSS ${before.toFixed(0)} → peak ${peakMb.toFixed(0)} MB; each read ≥ ${Math.min(...received)} bytes`,
    );
    // The neuron offers ~32 MB/s per stream: buffering it would be over a gigabyte here (10 readers,
    // 4 s). Bounded means about what stall_buffer_mb allows per reader, twice over for the garbage a
    // collector has not yet taken (Node 24's larger young generation peaked at +107 MB where Node 20
    // peaked at +24 MB, both reading the same bytes).
    expect(peakMb - before).toBeLessThan(80 + SLOW_READERS * STALL_BUFFER_MB * 2);
    expect(Math.min(...received)).toBeGreaterThan(64 * 1024);
  }, 120_000);
});

describe(`load, fault mode: ${STREAMS} streams per dialect with seeded mid-stream device faults`, () => {
  let fleet: FleetProcess;
  let gw: GatewayHandle;

  beforeAll(async () => {
    // One answer in four fails halfway with a device_fault frame; each neuron's rolls are seeded by its name.
    fleet = await spawnFakeFleet({ neurons: 2, options: { tokensPerSecond: 200, failureRate: 0.25 } });
    gw = await startGateway({
      neurons: fleet.urls.map((url, i) => ({ name: `n${i}`, url })),
      models: '[[models]]\nid = "chat"\nsource = "chat.gguf"\n',
    });
  }, 120_000);

  afterAll(async () => {
    await gw?.close();
    await fleet?.stop();
  });

  it('every stream completes, every token once and in order, each cut one resumed on the other replica', async () => {
    const agent = new Agent({ connections: null, keepAliveTimeout: 2000, bodyTimeout: 60_000 });
    const expected = Array.from({ length: TOKENS }, (_, i) => i).join();
    for (const d of ['openai', 'anthropic', 'responses'] as Dialect[]) {
      const result = await Promise.all(Array.from({ length: STREAMS }, () => stream(agent, gw.url, d)));
      const bad = result.filter(
        (r) => r.status !== 200 || !r.cleanEnd || r.errors > 0 || r.indexes.join() !== expected,
      );
      expect(bad.slice(0, 3), `${d}: ${bad.length} of ${STREAMS} streams broken`).toEqual([]);
    }
    await agent.close();
    const metrics = await (await fetch(`${gw.metricsUrl}/metrics`)).text();
    const ok = Number(/cortex_stream_resumes_total\{model="chat",result="ok"\} (\d+)/.exec(metrics)?.[1] ?? 0);
    console.log(`fault mode: ${ok} of ${STREAMS * 3} streams resumed`);
    // A quarter of first legs fail: far more than none were resumed, and none failed to be.
    expect(ok).toBeGreaterThan(STREAMS * 3 * 0.1);
    expect(metrics).not.toMatch(/cortex_stream_resumes_total\{[^}]*result="(no_replica|diverged)"\} [1-9]/);
  }, 300_000);
});
