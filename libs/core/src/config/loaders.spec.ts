import { describe, expect, it } from 'vitest';
import { resolve } from 'node:path';
import { ConfigError } from './config-error';
import { loadCortexConfig, loadModelsConfig, loadNeuronConfig } from './loaders';

const fixture = (name: string): string => resolve(__dirname, '../../../../test/fixtures', name);

describe('config loaders', () => {
  it('parse every sample file under test/fixtures', () => {
    const cortex = loadCortexConfig(fixture('cortex.toml'), {});
    expect(cortex.neurons.map((n) => n.name)).toEqual(['gpu-a', 'gpu-b']);
    expect(cortex.models_config).toBe(fixture('models.toml'));
    const models = loadModelsConfig(cortex.models_config);
    expect(models.models.map((m) => m.id)).toEqual(['tiny-chat', 'smol', 'remote-1b']);
    expect(models.aliases['cortex/small']).toBe('tiny-chat');
    const neuron = loadNeuronConfig(fixture('neuron.toml'), {});
    expect(neuron.models_dir).toBe(fixture('models'));
    expect(neuron.preload[0]).toMatchObject({ id: 'tiny-chat', device: 'cpu' });
  });

  it('turns a missing file into a ConfigError that names it', () => {
    const run = (): unknown => loadCortexConfig('/nowhere/cortex.toml', {});
    expect(run).toThrow(ConfigError);
    expect(run).toThrow('cortex.toml: file not found: /nowhere/cortex.toml');
  });

  it('treats an unset models_config as an empty catalogue', () => {
    expect(loadModelsConfig(undefined).models).toEqual([]);
  });
});
