import { describe, expect, it } from 'vitest';
import { parseToml } from './load-toml';
import { ModelsConfig, residencyPriority } from './models.schema';

const issueOf = (text: string): string => {
  try {
    parseToml(text, ModelsConfig, 'models.toml');
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error('expected a ConfigError');
};
const model = (extra = ''): string => `[[models]]\nid = "m"\nsource = "m.gguf"\n${extra}`;

describe(ModelsConfig.name, () => {
  it('defaults to an empty catalogue, and optional keys stay unset', () => {
    expect(parseToml('', ModelsConfig, 'models.toml')).toEqual({ models: [], aliases: {} });
    const sut = parseToml(model(), ModelsConfig, 'models.toml');
    expect(sut.models[0]).toEqual({ id: 'm', source: 'm.gguf' });
    expect(residencyPriority(sut.models[0]!)).toBe(100);
    expect(residencyPriority({ pinned_on: ['a'] })).toBe(1000);
    expect(residencyPriority({ pinned_on: ['a'], residency_priority: 5 })).toBe(5);
  });

  it('refuses "vision" with the reason: no neuron serves images yet', () => {
    expect(issueOf(model('capabilities = ["text", "vision"]\n'))).toContain(
      'models[0].capabilities: "vision": neurons do not serve images yet (they answer image parts with 400 vision_unsupported); remove it',
    );
    expect(issueOf(model('capabilities = ["audio"]\n'))).toContain(
      'models[0].capabilities: expected a list of "text", "tools", "embeddings", "reasoning", "vision"',
    );
    expect(parseToml(model('capabilities = ["text", "tools"]\n'), ModelsConfig, 'm').models[0]!.capabilities).toEqual([
      'text',
      'tools',
    ]);
  });

  it.each(['sub/dir/m.gguf', 'hf:org/repo/file-q8_0.gguf', 'https://example.com/m.gguf'])(
    'accepts source %s',
    (source) => {
      const sut = parseToml(`[[models]]\nid = "m"\nsource = "${source}"`, ModelsConfig, 'models.toml');
      expect(sut.models[0]!.source).toBe(source);
    },
  );

  it.each(['/abs/m.gguf', '../m.gguf', 'a/../../m.gguf', 'http://example.com/m.gguf', 'hf:org/file.gguf', ''])(
    'rejects source %j',
    (source) => {
      expect(issueOf(`[[models]]\nid = "m"\nsource = "${source}"`)).toContain(
        'models[0].source: expected a path inside the models dir, "hf:org/repo/file.gguf" or an https:// URL',
      );
    },
  );

  it.each([
    ['vram_mb = -1', 'models[0].vram_mb: expected an integer >= 0, got -1'],
    ['context_size = 8', 'models[0].context_size: expected an integer >= 16, got 8'],
    ['max_in_flight = 0', 'models[0].max_in_flight: expected an integer >= 1, got 0'],
    ['pinned_on = "gpu-a"', 'models[0].pinned_on: expected a list of non-empty strings, got "gpu-a"'],
    ['residency_priority = "high"', 'models[0].residency_priority: expected an integer >= 0, got "high"'],
    ['min_device_vram_mb = 1.5', 'models[0].min_device_vram_mb: expected an integer >= 0, got 1.5'],
    [
      'capabilities = ["text", "images"]',
      'models[0].capabilities: expected a list of "text", "tools", "embeddings", "reasoning", "vision", got ["text","images"]',
    ],
    ['ttl_s = -5', 'models[0].ttl_s: expected an integer >= 0, got -5'],
    ['vram = 5', 'unknown key "vram" in models[0]; did you mean "vram_mb"?'],
  ])('rejects %s', (extra, message) => {
    expect(issueOf(model(extra))).toContain(`models.toml: ${message}`);
  });

  it('checks ids and aliases across entries', () => {
    expect(issueOf(model() + model())).toContain('models: duplicate id "m"');
    expect(issueOf(model() + '[aliases]\n"x" = "nope"')).toContain(
      'aliases.x: expected the id of a [[models]] entry, got "nope"',
    );
    expect(issueOf(model() + '[aliases]\n"x" = 3')).toContain('aliases: expected a table of "name" = "value" strings');
    expect(issueOf('[[model]]\nid = "m"')).toContain('unknown key "model"; did you mean "models"?');
  });
});
