/**
 * The proxies bench:peers puts in front of one neuron, and how it drives them: nginx (Debian's
 * package, its config written into a temp folder) as the floor of what one more HTTP hop costs,
 * Portkey (installed from npm at bench time) as a peer Node gateway, cortex itself; closed loops
 * whose proxy CPU is read from /proc, and rounds in rotating order so noise lands on all alike.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { anthropicToOpenAI } from '@app/translate';
import { cpuMs, ROOT, startCli } from './lib';
import { freePort } from '../test/fakes/free-port';

export interface Target {
  name: string;
  url: string;
  headers: Record<string, string>;
  /** The proxy's processes, whose CPU time per request is read from /proc. */
  pids?: () => number[];
}

export const agent = new Agent({ keepAliveTimeout: 60_000, connections: 64 });

/** A chat body for `model`, max_tokens 1. */
export const chatBody = (model: string, extra: object = {}) =>
  JSON.stringify({ model, max_tokens: 1, messages: [{ role: 'user', content: 'Hi' }], ...extra });

/** The size of a Claude Code 2.1 request: its system prompt, ~20 tools and a first message. */
const AGENT_BODY_BYTES = 75 * 1024;

/**
 * The recorded Claude Code request as an OpenAI chat body, the way the gateway hands it on, with
 * max_tokens 1: its tools as recorded, its system prompt (cut short in the recording) repeated out
 * to make the body 75 KB.
 */
export function agentBody(model: string): string {
  const recorded = JSON.parse(
    readFileSync(join(ROOT, 'test/fixtures/clients/claude-code-2.1.197-messages.json'), 'utf8'),
  ) as { body: Record<string, unknown> };
  const { request: chat } = anthropicToOpenAI({ ...recorded.body, stream: false });
  const body = { ...chat, model, max_tokens: 1, stream: false };
  const system = body.messages[0] as { content: string };
  const text = system.content;
  while (Buffer.byteLength(JSON.stringify(body)) < AGENT_BODY_BYTES) system.content += `\n\n${text}`;
  return JSON.stringify(body);
}

export async function once(t: Target, body: string): Promise<number> {
  const t0 = performance.now();
  const res = await request(`${t.url}/v1/chat/completions`, {
    method: 'POST',
    body,
    headers: { 'content-type': 'application/json', ...t.headers },
    dispatcher: agent,
  });
  const text = await res.body.text();
  if (res.statusCode !== 200) throw new Error(`${t.name}: HTTP ${res.statusCode}: ${text.slice(0, 200)}`);
  return performance.now() - t0;
}

/** CPU ms per request of each target, by label, over every closed loop measured. */
export const cpuPerRequest = new Map<string, { ms: number; n: number }>();

const cpuOf = (t: Target) => (t.pids ? t.pids().reduce((sum, pid) => sum + cpuMs(pid), 0) : 0);

/** `clients` concurrent loops, `n` requests in all; the proxy's CPU is added under `label`. */
export async function closedLoop(t: Target, clients: number, n: number, body: string, label?: string) {
  const out: number[] = [];
  const cpu0 = cpuOf(t);
  let left = n;
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (left-- > 0) out.push(await once(t, body));
    }),
  );
  if (t.pids && label) {
    const key = `${t.name}|${label}`;
    const c = cpuPerRequest.get(key) ?? { ms: 0, n: 0 };
    cpuPerRequest.set(key, { ms: c.ms + cpuOf(t) - cpu0, n: c.n + n });
  }
  return out;
}

/** Runs `measure` for every target in rotating order, `rounds` times, pooling each target's samples. */
export async function interleaved(targets: Target[], rounds: number, measure: (t: Target) => Promise<number[]>) {
  const samples = new Map<string, number[]>(targets.map((t) => [t.name, []]));
  for (let r = 0; r < rounds; r++) {
    for (let k = 0; k < targets.length; k++) {
      const t = targets[(r + k) % targets.length]!;
      samples.get(t.name)!.push(...(await measure(t)));
    }
  }
  return samples;
}

/** The pids of a process and its children (nginx's master and workers). */
function withChildren(pid: number): number[] {
  try {
    const kids = execFileSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' });
    return [pid, ...kids.trim().split('\n').filter(Boolean).map(Number)];
  } catch {
    return [pid];
  }
}

async function waitUp(url: string, what: string, log: () => string): Promise<void> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    try {
      await fetch(url);
      return;
    } catch {
      if (Date.now() > deadline) throw new Error(`${what} did not start:\n${log()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/**
 * nginx as a plain keep-alive reverse proxy (one worker, as cortex is one process): HTTP/1.1 to the
 * upstream with a keep-alive pool of 64, no buffering either way.
 */
export async function startNginx(dir: string, upstream: string): Promise<{ target: Target; stop(): void }> {
  const bin = ['/usr/sbin/nginx', '/usr/bin/nginx'].find(existsSync);
  if (!bin) throw new Error('nginx is not installed: apt-get install -y nginx (bench:peers measures it as the floor)');
  const port = await freePort();
  mkdirSync(join(dir, 'nginx'), { recursive: true });
  const up = new URL(upstream);
  const conf = join(dir, 'nginx', 'nginx.conf');
  writeFileSync(
    conf,
    `${process.getuid?.() === 0 ? 'user root;\n' : ''}worker_processes 1;\ndaemon off;\npid ${dir}/nginx/nginx.pid;\n` +
      `error_log ${dir}/nginx/error.log warn;\nevents { worker_connections 1024; }\n` +
      `http {\n  access_log off;\n  client_body_temp_path ${dir}/nginx/body;\n  proxy_temp_path ${dir}/nginx/proxy;\n` +
      `  fastcgi_temp_path ${dir}/nginx/f;\n  uwsgi_temp_path ${dir}/nginx/u;\n  scgi_temp_path ${dir}/nginx/s;\n` +
      `  client_max_body_size 16m;\n  client_body_buffer_size 1m;\n` +
      `  upstream neuron { server ${up.host}; keepalive 64; }\n` +
      `  server {\n    listen 127.0.0.1:${port};\n    location / {\n      proxy_pass http://neuron;\n` +
      `      proxy_http_version 1.1;\n      proxy_set_header Connection "";\n      proxy_buffering off;\n` +
      `      proxy_request_buffering off;\n    }\n  }\n}\n`,
  );
  let log = '';
  const child = spawn(bin, ['-c', conf, '-p', join(dir, 'nginx')], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.on('data', (d: Buffer) => (log += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (log += d.toString()));
  const url = `http://127.0.0.1:${port}`;
  await waitUp(url, 'nginx', () => log);
  return {
    target: { name: 'nginx', url, headers: {}, pids: () => withChildren(child.pid!) },
    stop: () => void child.kill('SIGTERM'),
  };
}

/** The floor of a Node proxy (floor-proxy.ts) in front of `upstream`. */
export async function startFloor(upstream: string): Promise<{ target: Target; stop(): Promise<void> }> {
  const floor = await startCli([upstream], join(__dirname, 'floor-proxy.js'));
  return {
    target: { name: 'node floor', url: floor.url, headers: {}, pids: () => [floor.child.pid!] },
    stop: floor.stop,
  };
}

/** The tail of Portkey's own output (its errors explain its failures). */
export let portkeyLog = '';

export async function startPortkey(pkg: string, dir: string): Promise<{ child: ChildProcess; url: string }> {
  execFileSync('npm', ['install', '--no-audit', '--no-fund', '--silent', '--prefix', dir, pkg], { stdio: 'inherit' });
  const script = join(dir, 'node_modules', '@portkey-ai', 'gateway', 'build', 'start-server.js');
  if (!existsSync(script)) throw new Error(`${pkg} has no build/start-server.js`);
  const port = await freePort();
  const child = spawn(process.execPath, [script, `--port=${port}`, '--headless'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const keep = (d: Buffer) => (portkeyLog = (portkeyLog + d.toString()).slice(-20_000));
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const url = `http://127.0.0.1:${port}`;
  await waitUp(`${url}/`, 'Portkey', () => portkeyLog);
  return { child, url };
}

/** Portkey as a target in front of `upstream` (it proxies to a custom OpenAI-compatible host). */
export function portkeyTarget(url: string, pid: number, upstream: string): Target {
  return {
    name: 'portkey',
    url,
    pids: () => [pid],
    headers: {
      'x-portkey-provider': 'openai',
      'x-portkey-custom-host': `${upstream}/v1`,
      authorization: 'Bearer unused',
    },
  };
}
