/**
 * Remote model sources, opt-in and bounded: `[downloads] enabled`, a host allowlist, a size cap, a
 * whole-download deadline and a stall deadline. Each download runs in its own child process (node-
 * llama-cpp's downloader) into a staging directory under models_dir/.part/, and its files are
 * renamed into models_dir only when complete, so a half-written model is never loadable.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { Inject, Injectable, Logger } from '@nestjs/common';
import {
  CortexError,
  DOWNLOAD_JOB_ENV,
  type DownloadJob,
  type DownloadToChild,
  type DownloadToParent,
  type NeuronConfig,
  remoteSourceRefusal,
} from '@app/core';
import { NEURON_CONFIG } from '../config/neuron.tokens';

const MB = 1024 * 1024;

@Injectable()
export class ModelDownloadService {
  private readonly log = new Logger('Downloads');
  private readonly entry = join(__dirname, 'download.entry.js');

  constructor(@Inject(NEURON_CONFIG) private readonly cfg: NeuronConfig) {}

  /** Refuses a remote source the policy does not allow (403), before any record or request exists. */
  assertAllowed(uri: string): void {
    const refusal = remoteSourceRefusal(uri, this.cfg.downloads);
    if (refusal) throw refusal;
  }

  /** Downloads `uri` into models_dir; resolves with the model file's path. */
  async fetch(uri: string, onProgress: (fraction: number) => void, signal: AbortSignal): Promise<string> {
    this.assertAllowed(uri);
    const staging = join(this.cfg.models_dir, '.part', randomUUID());
    mkdirSync(staging, { recursive: true });
    const job: DownloadJob = { uri, dir: staging, hfEndpoint: this.cfg.downloads.hf_endpoint! };
    const child = fork(this.entry, [], {
      env: { ...process.env, [DOWNLOAD_JOB_ENV]: JSON.stringify(job) },
      serialization: 'json',
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    try {
      const done = await this.supervise(child, uri, onProgress, signal);
      return done.reused ?? this.moveIn(staging, done.files, done.entrypoint);
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      rmSync(staging, { recursive: true, force: true });
    }
  }

  private supervise(
    child: ChildProcess,
    uri: string,
    onProgress: (fraction: number) => void,
    signal: AbortSignal,
  ): Promise<{ files: string[]; entrypoint: string; reused?: string }> {
    const d = this.cfg.downloads;
    const maxBytes = d.max_size_mb * MB;
    let stderr = '';
    child.stderr?.on('data', (b: Buffer) => (stderr = (stderr + b.toString()).slice(-2000)));
    return new Promise((resolve, reject) => {
      let files: string[] = [];
      const fail = (err: CortexError) => {
        cleanup();
        reject(err);
      };
      const failed = (why: string) => new CortexError('download_failed', `download of ${uri} ${why}`);
      const whole = setTimeout(() => fail(failed(`did not finish within ${d.timeout_s} s`)), d.timeout_s * 1000);
      let stall = setTimeout(() => undefined, 0);
      const progressed = () => {
        clearTimeout(stall);
        stall = setTimeout(() => fail(failed(`received nothing for ${d.stall_timeout_s} s`)), d.stall_timeout_s * 1000);
      };
      const onAbort = () => fail(new CortexError('request_aborted', `download of ${uri} cancelled`));
      const cleanup = () => {
        clearTimeout(whole);
        clearTimeout(stall);
        signal.removeEventListener('abort', onAbort);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      progressed();
      child.on('message', (msg: DownloadToParent) => {
        if (msg.type === 'meta') {
          if (msg.totalSize > maxBytes) {
            return fail(
              new CortexError(
                'source_too_large',
                `source: ${uri} is ${Math.ceil(msg.totalSize / MB)} MB, over [downloads] max_size_mb (${d.max_size_mb})`,
                { param: 'source' },
              ),
            );
          }
          files = msg.files.map((f) => basename(f.fileName));
          const reused = this.alreadyHere(msg.files, msg.entrypoint);
          if (reused) {
            cleanup();
            return resolve({ files, entrypoint: msg.entrypoint, reused });
          }
          progressed();
          child.send({ type: 'go' } satisfies DownloadToChild);
        } else if (msg.type === 'progress') {
          if (msg.downloaded > maxBytes) return fail(failed(`passed [downloads] max_size_mb (${d.max_size_mb})`));
          progressed();
          onProgress(msg.total ? msg.downloaded / msg.total : 0);
        } else if (msg.type === 'done') {
          cleanup();
          resolve({ files, entrypoint: basename(msg.entrypoint) });
        } else fail(failed(`failed: ${msg.message}`));
      });
      child.on('exit', (code, sig) =>
        fail(failed(`stopped (code ${code}, signal ${sig})${stderr ? `: ${stderr.trim()}` : ''}`)),
      );
    });
  }

  /** Every file already in models_dir at its full size: nothing to download. */
  private alreadyHere(files: Array<{ fileName: string; totalSize: number }>, entrypoint: string): string | undefined {
    const here = files.every((f) => {
      const p = join(this.cfg.models_dir, basename(f.fileName));
      return existsSync(p) && statSync(p).size === f.totalSize;
    });
    return here ? join(this.cfg.models_dir, basename(entrypoint)) : undefined;
  }

  private moveIn(staging: string, files: string[], entrypoint: string): string {
    for (const f of files) renameSync(join(staging, f), join(this.cfg.models_dir, f));
    this.log.log(`downloaded ${files.join(', ')} into ${this.cfg.models_dir}`);
    return join(this.cfg.models_dir, entrypoint);
  }
}
