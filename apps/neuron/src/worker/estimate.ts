/**
 * How much memory a model file takes on this worker's device at a given context and number of
 * sequences, from the GGUF alone (node-llama-cpp's insights: weights, KV cache, compute buffers),
 * before anything is loaded. The load uses it, and so does the gateway's placement (via
 * POST /models/estimate) when models.toml gives no vram_mb.
 */
import type { MemoryEstimate, WorkerConfig } from '@app/core';
import type { Llama, Nlc } from './engine-types';

const MB = 1024 * 1024;
/** The context a model gets when none is asked for: its trained context, at most this. */
export const DEFAULT_CONTEXT = 8192;

export async function estimateMemory(
  nlc: Nlc,
  llama: Llama,
  kind: WorkerConfig['kind'],
  path: string,
  contextSize: number | undefined,
  sequences: number,
): Promise<MemoryEstimate> {
  const info = await nlc.readGgufFileInfo(path);
  const insights = await nlc.GgufInsights.from(info, llama);
  const cuda = kind === 'cuda';
  const gpuLayers = cuda ? insights.totalLayers : 0;
  const train = insights.trainContextSize ?? DEFAULT_CONTEXT;
  const context = contextSize ?? Math.min(train, DEFAULT_CONTEXT);
  const modelReq = await insights.estimateModelResourceRequirementsV2({ gpuLayers });
  const ctxReq = await insights.estimateContextResourceRequirementsV2({
    contextSize: context,
    modelGpuLayers: gpuLayers,
    sequences,
  });
  const bytes = cuda ? modelReq.gpuVram + ctxReq.gpuVram : modelReq.cpuRam + ctxReq.cpuRam;
  return { estimatedMb: Math.max(1, Math.round(bytes / MB)), contextSize: context, trainContextSize: train };
}
