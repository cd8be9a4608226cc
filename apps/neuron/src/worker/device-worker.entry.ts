/**
 * Entry of the per-device worker child (forked by the neuron's DeviceSupervisor). It is the only
 * place node-llama-cpp is imported, with a real dynamic import() since the package is ESM-only. It
 * answers the typed IPC protocol of @app/core and exits when its parent goes away.
 */
import { freemem, totalmem } from 'node:os';
import { WORKER_CONFIG_ENV, type ChildToParent, type ParentToChild, type WorkerConfig } from '@app/core';
import { WorkerEngine } from './engine';
import { toWorkerError } from './request-failure';

const MB = 1024 * 1024;

function send(msg: ChildToParent): void {
  if (process.connected) process.send?.(msg);
}

async function main(): Promise<void> {
  const cfg = JSON.parse(process.env[WORKER_CONFIG_ENV] ?? '{}') as WorkerConfig;
  process.on('disconnect', () => process.exit(0));
  const nlc = await import('node-llama-cpp');
  const llama = await nlc.getLlama({
    gpu: cfg.kind === 'cuda' ? 'cuda' : false,
    maxThreads: cfg.threads,
    build: 'never',
    progressLogs: false,
    logLevel: nlc.LlamaLogLevel.error,
  });
  const engine = new WorkerEngine(nlc, llama, cfg, send);
  const vram = await llama.getVramState();
  send({
    type: 'ready',
    pid: process.pid,
    backend: cfg.kind,
    deviceName: cfg.kind === 'cuda' ? ((await llama.getGpuDeviceNames())[0] ?? 'cuda') : 'cpu',
    vramTotalMb: cfg.kind === 'cuda' ? Math.round(vram.total / MB) : Math.round(totalmem() / MB),
  });

  const run = (reqId: string, work: () => Promise<unknown> | unknown): void => {
    Promise.resolve()
      .then(work)
      .then((result) => send({ type: 'done', reqId, result }))
      .catch((err: unknown) => send({ type: 'error', reqId, error: toWorkerError(err) }));
  };

  process.on('message', (msg: ParentToChild) => {
    switch (msg.type) {
      case 'load':
        return run(msg.reqId, () => engine.load(msg.reqId, msg.spec));
      case 'unload':
        return run(msg.reqId, () => engine.unload(msg.id));
      case 'generate':
        return run(msg.reqId, () => engine.generate(msg));
      case 'abort':
        return engine.abort(msg.reqId);
      case 'tokenize':
        return run(msg.reqId, () => engine.tokenize(msg));
      case 'embed':
        return run(msg.reqId, () => engine.embed(msg.modelId, msg.inputs));
      case 'estimate':
        return run(msg.reqId, () => engine.estimate(msg.path, msg));
      case 'stats':
        return void engine
          .stats(Math.round(totalmem() / MB), Math.round(freemem() / MB))
          .then((stats) => send({ type: 'stats', reqId: msg.reqId, stats }))
          .catch((err: unknown) => send({ type: 'error', reqId: msg.reqId, error: toWorkerError(err) }));
      case 'shutdown':
        return void engine.disposeAll().finally(() => process.exit(0));
    }
  });
}

main().catch((err: unknown) => {
  process.stderr.write(`device worker failed to start: ${(err as Error)?.stack ?? String(err)}\n`);
  process.exit(70);
});
