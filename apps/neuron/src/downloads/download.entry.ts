/**
 * Entry of the download child: resolves one remote model with node-llama-cpp's downloader (hf: and
 * https:// URIs, split files), tells the neuron its size, and downloads into the staging directory
 * only once the neuron says go. It exits when its parent goes away.
 */
import { DOWNLOAD_JOB_ENV, type DownloadJob, type DownloadToChild, type DownloadToParent } from '@app/core';

function send(msg: DownloadToParent): void {
  if (process.connected) process.send?.(msg);
}

async function main(): Promise<void> {
  const job = JSON.parse(process.env[DOWNLOAD_JOB_ENV] ?? '{}') as DownloadJob;
  process.on('disconnect', () => process.exit(0));
  const go = new Promise<void>((resolve) =>
    process.on('message', (m: DownloadToChild) => m.type === 'go' && resolve()),
  );
  const nlc = await import('node-llama-cpp');
  const downloader = await nlc.createModelDownloader({
    modelUri: job.uri,
    dirPath: job.dir,
    skipExisting: false,
    showCliProgress: false,
    deleteTempFileOnCancel: true,
    endpoints: { huggingFace: job.hfEndpoint },
    onProgress: ({ downloadedSize, totalSize }) =>
      send({ type: 'progress', downloaded: downloadedSize, total: totalSize }),
  });
  send({
    type: 'meta',
    totalSize: downloader.totalSize,
    files: downloader.filesInfo.map((f) => ({ fileName: f.fileName, totalSize: f.totalSize })),
    entrypoint: downloader.entrypointFilename,
  });
  await go;
  const path = await downloader.download();
  send({ type: 'done', entrypoint: path });
  process.exit(0);
}

main().catch((err: unknown) => {
  send({ type: 'error', message: err instanceof Error ? err.message : String(err) });
  setTimeout(() => process.exit(1), 50);
});
