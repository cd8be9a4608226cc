/**
 * How much memory a model file takes on this worker's device, and which context it gets, from the
 * GGUF alone (node-llama-cpp's insights: weights, KV cache for every sequence, compute buffers),
 * before anything is loaded. Without an asked-for context a model gets the largest context that fits
 * the memory it is given, up to its trained context; one that cannot fit even its floor
 * (min(trained, min_context)) is refused with the numbers, rather than served with a context no agent
 * can use. The load uses this, and so does the gateway's placement (via POST /models/estimate).
 */
import type { ContextPlan, ContextRequest, WorkerConfig } from '@app/core';
import type { Llama, Nlc } from './engine-types';
import { RequestFailure } from './request-failure';

const MB = 1024 * 1024;
/** Trained context assumed for a GGUF that names none. */
const UNKNOWN_TRAIN_CONTEXT = 4096;
/** Chosen contexts are multiples of this (llama.cpp pads to 256 anyway). */
const STEP = 256;

export async function planContext(
  nlc: Nlc,
  llama: Llama,
  kind: WorkerConfig['kind'],
  path: string,
  req: ContextRequest,
): Promise<ContextPlan> {
  const info = await nlc.readGgufFileInfo(path);
  const insights = await nlc.GgufInsights.from(info, llama);
  const cuda = kind === 'cuda';
  const gpuLayers = cuda ? insights.totalLayers : 0;
  const train = insights.trainContextSize ?? UNKNOWN_TRAIN_CONTEXT;
  const modelReq = await insights.estimateModelResourceRequirementsV2({ gpuLayers });
  const weights = cuda ? modelReq.gpuVram : modelReq.cpuRam;
  const need = async (contextSize: number): Promise<number> => {
    const r = await insights.estimateContextResourceRequirementsV2({
      contextSize,
      modelGpuLayers: gpuLayers,
      sequences: req.sequences,
    });
    return Math.max(1, Math.round((weights + (cuda ? r.gpuVram : r.cpuRam)) / MB));
  };
  const floor = Math.min(train, req.minContext);
  const plan = (contextSize: number, estimatedMb: number, minMb: number): ContextPlan => ({
    contextSize,
    estimatedMb,
    trainContextSize: train,
    minContextSize: req.contextSize ?? floor,
    minMb,
  });
  if (req.contextSize !== undefined) {
    const mb = await need(req.contextSize);
    return plan(req.contextSize, mb, mb);
  }
  const minMb = await need(floor);
  // A GPU's real free memory can be less than the neuron's accounting (other processes use it too).
  const budget =
    req.budgetMb !== undefined && cuda
      ? Math.min(req.budgetMb, Math.floor((await llama.getVramState()).free / MB))
      : req.budgetMb;
  if (budget === undefined) return plan(floor, minMb, minMb);
  if (minMb > budget) {
    throw new RequestFailure({
      kind: 'bad_request',
      code: 'insufficient_capacity',
      param: 'context_size',
      message:
        `not enough memory for a usable context: ${req.sequences} sequence(s) of ${floor} tokens need ` +
        `${minMb} MiB with the weights, and ${budget} MiB are free on this device (trained context ${train}); ` +
        'free memory, set a smaller context_size or min_context, or lower max_in_flight / idle_sequences',
    });
  }
  // The largest multiple of STEP in [floor, train] that fits: memory grows with the context.
  const atTrain = await need(train);
  if (atTrain <= budget) return plan(train, atTrain, minMb);
  let [lo, loMb] = [floor, minMb];
  let hi = train;
  while (hi - lo > STEP) {
    const mid = Math.floor((lo + hi) / 2 / STEP) * STEP;
    if (mid <= lo) break;
    const midMb = await need(mid);
    if (midMb <= budget) [lo, loMb] = [mid, midMb];
    else hi = mid;
  }
  return plan(lo, loMb, minMb);
}
