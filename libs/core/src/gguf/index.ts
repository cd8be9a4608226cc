export * from './make-model';
export * from './scripted-model';
export * from './presets';
export * from './vocab';
export { writeGguf, GGUF_ALIGNMENT } from './gguf-writer';
export type { GgufValue, GgufTensorSpec, WriteProgress } from './gguf-writer';
export type { TensorDataType } from './quantize';
export { TENSOR_DATA_TYPES } from './quantize';
