/**
 * Starts the built `cortex` binary as real child processes on 127.0.0.1 for e2e specs, with a
 * scratch directory holding generated models and config, and stops them (and their children).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { makeModel, type MakeModelOptions } from '@app/core';

export const CLI = resolve(__dirname, '../../dist/apps/cli/src/main.js');

export function scratch(prefix: string): { dir: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), `cortex-${prefix}-`));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export function model(dir: string, name: string, opts: Partial<MakeModelOptions> = {}): string {
  mkdirSync(dir, { recursive: true });
  const out = join(dir, name);
  makeModel({ preset: 'tiny', quant: 'q8_0', out, ...opts });
  return out;
}

export interface Proc {
  child: ChildProcess;
  url: string;
  output(): string;
  /** Resolves with the exit code, or the signal name when the process re-raised a signal. */
  stop(signal?: NodeJS.Signals): Promise<number | string | null>;
  /** Resolves once the output matches `re` (checked as output arrives, not on a timer). */
  waitFor(re: RegExp, timeoutMs?: number): Promise<RegExpExecArray>;
}

/** Spawns `cortex <args>` and resolves once it prints `listening on <url>`. */
export function startCortex(args: string[], env: Record<string, string> = {}, timeoutMs = 30_000): Promise<Proc> {
  const child = spawn(process.execPath, [CLI, ...args], {
    env: { ...process.env, CORTEX_NEURON_FAULTS: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const exited = new Promise<number | string | null>((r) => child.on('exit', (code, sig) => r(code ?? sig)));
  const waiters = new Set<() => void>();
  const waitFor = (re: RegExp, ms = 20_000) =>
    new Promise<RegExpExecArray>((resolveWait, rejectWait) => {
      const check = () => {
        const m = re.exec(out);
        if (!m) return;
        waiters.delete(check);
        clearTimeout(timer);
        resolveWait(m);
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        rejectWait(new Error(`output never matched ${re}:\n${out}`));
      }, ms);
      waiters.add(check);
      check();
    });
  return new Promise((resolveStart, reject) => {
    const timer = setTimeout(() => reject(new Error(`did not start in time:\n${out}`)), timeoutMs);
    let started = false;
    const onData = (d: Buffer) => {
      out += d.toString();
      for (const check of [...waiters]) check();
      if (started) return; // under load the log is long: match the banner once, not on every line
      const m = /listening on (http:\/\/[^\s]+)/.exec(out);
      if (m) {
        started = true;
        clearTimeout(timer);
        resolveStart({
          child,
          url: m[1]!,
          output: () => out,
          waitFor,
          stop: async (signal = 'SIGTERM') => {
            if (child.exitCode === null) child.kill(signal);
            return exited;
          },
        });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`exited with ${code} before listening:\n${out}`));
    });
  });
}

export function writeToml(path: string, text: string): string {
  writeFileSync(path, text);
  return path;
}

export async function json<T = Record<string, unknown>>(
  url: string,
  body?: unknown,
  headers: Record<string, string> = {},
) {
  const res = await fetch(url, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON
  }
  return { status: res.status, headers: res.headers, body: parsed as T };
}

/** Reads an SSE response to the end: the data payloads (parsed), comments counted. */
export async function readSse(res: Response, onData?: (data: unknown, n: number) => void) {
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  const data: unknown[] = [];
  let comments = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    let cut: number;
    while ((cut = buffer.indexOf('\n\n')) >= 0) {
      const frame = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      if (frame.startsWith(':')) comments++;
      const line = frame.split('\n').find((l) => l.startsWith('data: '));
      if (!line) continue;
      const payload = line.slice(6);
      const parsed = payload === '[DONE]' ? '[DONE]' : JSON.parse(payload);
      data.push(parsed);
      onData?.(parsed, data.length);
    }
  }
  return { data, comments };
}

export async function until<T>(fn: () => Promise<T | undefined | false>, timeoutMs = 20_000, stepMs = 100): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v) return v;
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, stepMs));
  }
}

/**
 * Runs a command to its end without blocking this process (the servers it talks to may answer from
 * here), stdin closed; killed after `timeoutMs`. Its exit status and output.
 */
export function runToEnd(
  cmd: string,
  args: string[],
  opts: { env?: Record<string, string>; cwd?: string; timeoutMs?: number } = {},
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const child = spawn(cmd, args, {
    cwd: opts.cwd,
    env: { ...process.env, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 180_000);
  return new Promise((resolve) =>
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    }),
  );
}

export { freePort } from '../fakes/free-port';
