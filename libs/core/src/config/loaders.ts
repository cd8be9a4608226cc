/**
 * Entry points that load each config file with its environment prefix and resolve relative paths
 * against the file's own directory, so `cortex serve -c /etc/cortex/cortex.toml` works from anywhere.
 */
import { dirname, resolve } from 'node:path';
import { CortexConfig } from './cortex.schema';
import { loadTomlFile } from './load-toml';
import { ModelsConfig } from './models.schema';
import { NeuronConfig } from './neuron.schema';

type Env = Record<string, string | undefined>;

export function loadCortexConfig(file: string, env: Env = process.env): CortexConfig {
  const cfg = loadTomlFile(file, CortexConfig, { envPrefix: 'CORTEX_', env });
  if (cfg.models_config) cfg.models_config = resolve(dirname(file), cfg.models_config);
  return cfg;
}

export function loadModelsConfig(file: string | undefined): ModelsConfig {
  return file ? loadTomlFile(file, ModelsConfig) : new ModelsConfig();
}

export function loadNeuronConfig(file: string, env: Env = process.env): NeuronConfig {
  const cfg = loadTomlFile(file, NeuronConfig, { envPrefix: 'NEURON_', env });
  cfg.models_dir = resolve(dirname(file), cfg.models_dir);
  return cfg;
}
