/**
 * Entry points that load each config file with its environment prefix and resolve relative paths
 * against the file's own directory, so `cortex serve -c /etc/cortex/cortex.toml` works from anywhere.
 */
import { dirname, resolve } from 'node:path';
import { CortexConfig } from './cortex.schema';
import { loadTomlFile, parseToml } from './load-toml';
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

/** Without a file, the defaults plus NEURON_ environment overrides (how containers configure it). */
export function loadNeuronConfig(file: string | undefined, env: Env = process.env): NeuronConfig {
  const cfg = file
    ? loadTomlFile(file, NeuronConfig, { envPrefix: 'NEURON_', env })
    : parseToml('', NeuronConfig, 'neuron.toml (defaults)', { envPrefix: 'NEURON_', env });
  cfg.models_dir = resolve(file ? dirname(file) : process.cwd(), cfg.models_dir);
  cfg.downloads.hf_endpoint ??= env.HF_ENDPOINT || env.MODEL_ENDPOINT || 'https://huggingface.co';
  return cfg;
}
