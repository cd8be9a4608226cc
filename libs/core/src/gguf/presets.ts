/**
 * Model shapes the maker knows: `tiny` for tests, `small` (SmolLM-135M shape) for CPU benchmarks and
 * `1b` (Llama-3.2-1B shape, 32k vocab) for GPU benchmarks.
 */
export interface ModelShape {
  nEmbd: number;
  nLayer: number;
  nHead: number;
  nHeadKv: number;
  nFf: number;
  nVocab: number;
  contextLength: number;
  ropeFreqBase: number;
}

export const PRESETS = {
  tiny: {
    nEmbd: 64,
    nLayer: 2,
    nHead: 4,
    nHeadKv: 2,
    nFf: 128,
    nVocab: 1536,
    contextLength: 4096,
    ropeFreqBase: 10000,
  },
  small: {
    nEmbd: 576,
    nLayer: 30,
    nHead: 9,
    nHeadKv: 3,
    nFf: 1536,
    nVocab: 49152,
    contextLength: 2048,
    ropeFreqBase: 10000,
  },
  '1b': {
    nEmbd: 2048,
    nLayer: 16,
    nHead: 32,
    nHeadKv: 8,
    nFf: 8192,
    nVocab: 32000,
    contextLength: 131072,
    ropeFreqBase: 500000,
  },
} as const satisfies Record<string, ModelShape>;

export type PresetName = keyof typeof PRESETS;
export const PRESET_NAMES = Object.keys(PRESETS) as PresetName[];

/** Parameter count of a shape (untied output head included). */
export function countParams(s: ModelShape): number {
  const headDim = s.nEmbd / s.nHead;
  const kv = headDim * s.nHeadKv;
  const perLayer = 2 * s.nEmbd * s.nEmbd + 2 * s.nEmbd * kv + 3 * s.nEmbd * s.nFf + 2 * s.nEmbd;
  return 2 * s.nEmbd * s.nVocab + s.nLayer * perLayer + s.nEmbd;
}
