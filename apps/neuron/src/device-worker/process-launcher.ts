/**
 * Port over child_process.fork: the supervisor only ever sees a WorkerProcess, so its restart,
 * backoff and kill logic is tested against a fake worker as well as the real one.
 */
import { fork } from 'node:child_process';
import { Injectable } from '@nestjs/common';
import type { ChildToParent, ParentToChild } from '@app/core';

export interface WorkerProcess {
  readonly pid: number | undefined;
  send(msg: ParentToChild): boolean;
  onMessage(cb: (msg: ChildToParent) => void): void;
  onExit(cb: (code: number | null, signal: NodeJS.Signals | null) => void): void;
  /** Last lines the child wrote to stderr, for crash reports. */
  stderrTail(): string;
  kill(signal: NodeJS.Signals): void;
}

export interface ProcessLauncher {
  launch(entry: string, env: Record<string, string>): WorkerProcess;
}

@Injectable()
export class ForkProcessLauncher implements ProcessLauncher {
  launch(entry: string, env: Record<string, string>): WorkerProcess {
    const child = fork(entry, [], {
      env: { ...process.env, ...env },
      serialization: 'json',
      stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
    });
    let tail = '';
    child.stderr?.on('data', (d: Buffer) => {
      process.stderr.write(d);
      tail = (tail + d.toString()).slice(-4000);
    });
    return {
      pid: child.pid,
      send: (msg) => (child.connected ? child.send(msg) : false),
      onMessage: (cb) => child.on('message', (m) => cb(m as ChildToParent)),
      onExit: (cb) => child.on('exit', cb),
      stderrTail: () => tail,
      kill: (signal) => {
        if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      },
    };
  }
}
