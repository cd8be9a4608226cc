import { describe, expect, it } from 'vitest';
import { hostname } from 'node:os';
import { parseToml } from './load-toml';
import { NeuronConfig, defaultThreads } from './neuron.schema';

const parse = (text: string, env: Record<string, string> = {}) =>
  parseToml(text, NeuronConfig, 'neuron.toml', { envPrefix: 'NEURON_', env });
const issueOf = (text: string): string => {
  try {
    parse(text);
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error('expected a ConfigError');
};

describe(NeuronConfig.name, () => {
  it('gives every key its documented default on an empty file', () => {
    const sut = parse('');
    expect(sut).toMatchObject({
      listen: '127.0.0.1:13131',
      name: hostname(),
      models_dir: 'models',
      devices: 'auto',
      threads: defaultThreads(),
      step_timeout_s: 60,
      drain_timeout_s: 10,
      admission: { max_queue_depth: 16, max_wait_s: 600, share_hold_ms: 1000 },
      preload: [],
      allow_unauthenticated: false,
      downloads: { enabled: false, allowed_hosts: ['huggingface.co'] },
      limits: { request_timeout_s: 30, json_max_depth: 64, stall_timeout_s: 30 },
      sessions: { idle_sequences: 2, host_cache_mb: 1024, min_saved_tokens: 256 },
    });
    expect(sut.token).toBeUndefined();
    expect(sut.admission.max_in_flight).toBeUndefined(); // then DEFAULT_MAX_IN_FLIGHT per device kind
    expect(defaultThreads()).toBeGreaterThanOrEqual(1);
  });

  it('takes one CPU memory budget for all, or one per CPU pseudo-device, and says when the list does not match', () => {
    expect(parse('cpu_memory_mb = 4000').cpu_memory_mb).toBe(4000);
    expect(parse('devices = ["cpu", "cpu"]\ncpu_memory_mb = [4000, 2000]').cpu_memory_mb).toEqual([4000, 2000]);
    expect(issueOf('devices = ["cpu", "cpu", "cpu"]\ncpu_memory_mb = [4000, 2000]')).toContain(
      'cpu_memory_mb: lists 2 budget(s) but devices has 3 CPU device(s)',
    );
    expect(issueOf('cpu_memory_mb = [0]')).toContain('cpu_memory_mb');
  });

  it.each([['devices = ["cpu"]'], ['devices = [0, 1]'], ['devices = ["cpu", 0]'], ['devices = "auto"']])(
    'accepts %s',
    (line) => expect(() => parse(line)).not.toThrow(),
  );

  it.each([
    ['listen = "13131"', 'listen: expected "host:port", got "13131"'],
    ['devices = "gpu"', 'devices: expected "auto", or a list of "cpu" and distinct CUDA device indexes'],
    ['devices = [0, 0]', 'devices: expected "auto", or a list'],
    ['devices = []', 'devices: expected "auto", or a list'],
    ['threads = 0', 'threads: expected an integer >= 1, got 0'],
    ['name = ""', 'name: expected a non-empty string, got ""'],
    ['token = 1', 'token: expected a non-empty string, got 1'],
    ['listen = "0.0.0.0:13131"', 'listen: "0.0.0.0:13131" is reachable from other machines, so it needs a token'],
    ['[downloads]\nallowed_hosts = ["https://x"]', 'downloads.allowed_hosts: expected a list of host names'],
    ['step_timeout_s = 0', 'step_timeout_s: expected an integer >= 1, got 0'],
    ['drain_timeout_s = -1', 'drain_timeout_s: expected an integer >= 0, got -1'],
    ['[admission]\nmax_in_flight = 0', 'admission.max_in_flight: expected an integer >= 1, got 0'],
    ['[admission]\nmax_queue_depth = -1', 'admission.max_queue_depth: expected an integer >= 0, got -1'],
    ['[admission]\nmax_wait_s = 0', 'admission.max_wait_s: expected an integer >= 1, got 0'],
    ['[[preload]]\nid = "m"\nsource = "../m.gguf"', 'preload[0].source: expected a path inside the models dir'],
    ['[[preload]]\nid = "m"\nsource = "m.gguf"\ndevice = ""', 'preload[0].device: expected a non-empty string'],
    ['[[preload]]\nsource = "m.gguf"', 'preload[0].id: expected a non-empty string, got nothing'],
    ['[admision]\nmax_in_flight = 2', 'unknown key "admision"; did you mean "admission"?'],
    ['thread = 2', 'unknown key "thread"; did you mean "threads"?'],
  ])('rejects %j', (text, message) => {
    expect(issueOf(text)).toContain(`neuron.toml: ${message}`);
  });

  it('applies NEURON_ environment overrides', () => {
    const sut = parse('threads = 2', {
      NEURON_LISTEN: '127.0.0.1:14000',
      NEURON_DEVICES: '["cpu"]',
      NEURON_ADMISSION__MAX_IN_FLIGHT: '8',
      NEURON_THREADS: '3',
    });
    expect(sut.listen).toBe('127.0.0.1:14000');
    expect(sut.devices).toEqual(['cpu']);
    expect(sut.admission.max_in_flight).toBe(8);
    expect(sut.threads).toBe(3);
  });
});
