export * from './config';
export * from './gguf';
export const CORTEX_VERSION = '0.1.0';
