/** Port over running a local command (nvidia-smi), so discovery is tested without a GPU. */
import { execFile } from 'node:child_process';
import { Injectable } from '@nestjs/common';

export interface CommandRunner {
  /** stdout, or null when the command is missing or fails. */
  run(cmd: string, args: string[], timeoutMs: number): Promise<string | null>;
}

@Injectable()
export class ExecCommandRunner implements CommandRunner {
  run(cmd: string, args: string[], timeoutMs: number): Promise<string | null> {
    return new Promise((resolve) =>
      execFile(cmd, args, { timeout: timeoutMs }, (err, stdout) => resolve(err ? null : stdout)),
    );
  }
}
