export * from './config-error';
export * from './cortex.schema';
export * from './models.schema';
export * from './neuron.schema';
export * from './load-toml';
export * from './loaders';
export { parseHostPort, isModelSource } from './expect';
export * from './model-source';
export * from './limits.schema';
