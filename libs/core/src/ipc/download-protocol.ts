/**
 * IPC between a neuron and the short-lived child that downloads one remote model with
 * node-llama-cpp's downloader (outside the device workers, so a stalled download never holds up a
 * device or its hang detection). The child reports what it will fetch, waits for `go` (the neuron
 * checks the size first), then reports progress and the file it wrote.
 */
export const DOWNLOAD_JOB_ENV = 'CORTEX_DOWNLOAD_JOB';

export interface DownloadJob {
  uri: string;
  /** A staging directory; the neuron moves finished files into models_dir. */
  dir: string;
  hfEndpoint: string;
}

export type DownloadToParent =
  | { type: 'meta'; totalSize: number; files: Array<{ fileName: string; totalSize: number }>; entrypoint: string }
  | { type: 'progress'; downloaded: number; total: number }
  | { type: 'done'; entrypoint: string }
  | { type: 'error'; message: string };

export type DownloadToChild = { type: 'go' };
