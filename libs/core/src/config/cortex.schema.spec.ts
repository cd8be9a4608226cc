import { describe, expect, it } from 'vitest';
import { CortexConfig } from './cortex.schema';
import { parseToml } from './load-toml';

const parse = (text: string, env: Record<string, string> = {}) =>
  parseToml(text, CortexConfig, 'cortex.toml', { envPrefix: 'CORTEX_', env });
const issueOf = (text: string, env: Record<string, string> = {}): string => {
  try {
    parse(text, env);
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error('expected a ConfigError');
};

describe(CortexConfig.name, () => {
  it('gives every key its documented default on an empty file', () => {
    const sut = parse('');
    expect(sut.models_config).toBeUndefined();
    expect(sut.gateway).toEqual({
      listen: '127.0.0.1:31313',
      metrics_listen: '127.0.0.1:31314',
      cors_origins: [],
      drain_timeout_s: 30,
      metrics_public: false,
    });
    expect(sut.eviction).toEqual({
      strategy: 'lru',
      defrag_after_cycles: 0,
      idle_unload_after_s: 0,
      min_residency_s: 30,
    });
    expect(sut.neurons).toEqual([]);
    expect(sut.auth).toEqual({ require_auth: false, allow_anonymous: false, keys: [], accounts: [] });
    expect(sut.poller).toEqual({ interval_ms: 2000, timeout_ms: 2000, unhealthy_after: 3 });
    expect(sut.upstream).toEqual({
      connect_timeout_ms: 5000,
      call_timeout_s: 30,
      headers_timeout_s: 60,
      request_timeout_s: 900,
      idle_timeout_s: 120,
      load_timeout_s: 1800,
    });
    expect(sut.limits).toEqual({
      request_timeout_s: 30,
      idle_timeout_s: 900,
      body_max_mb: 32,
      json_max_depth: 64,
      stall_timeout_s: 30,
      stall_buffer_mb: 8,
    });
    expect(sut.responses).toEqual({ store_max_entries: 1000, store_max_mb: 64, store_ttl_s: 3600 });
    expect(sut.sessions).toEqual({ affinity: true, overload_margin: 2 });
    expect(sut.resume).toEqual({ max_attempts: 1, deadline_s: 60 });
    expect(sut.state).toEqual({ timeout_ms: 500, limits_when_down: 'open', budgets_when_down: 'closed' });
  });

  it('keeps defaults for keys a section leaves out', () => {
    const sut = parse('[gateway]\nlisten = "127.0.0.1:8080"\n[eviction]\nstrategy = "priority"');
    expect(sut.gateway.metrics_listen).toBe('127.0.0.1:31314');
    expect(sut.eviction.min_residency_s).toBe(30);
    expect(sut.eviction.strategy).toBe('priority');
  });

  it.each([
    [
      '[gateway]\nlisten = "0.0.0.0:31313"',
      'cortex.toml: gateway.listen: "0.0.0.0:31313" is reachable from other machines, so it needs keys',
    ],
    [
      '[gateway]\nmetrics_listen = "[::]:31314"',
      'cortex.toml: gateway.metrics_listen: "[::]:31314" is reachable from other machines, so it needs',
    ],
    ['[gateway]\ncors_origins = ["*"]', 'cortex.toml: gateway.cors_origins: expected a list of origins'],
    ['[upstream]\ncall_timeout_s = 0', 'cortex.toml: upstream.call_timeout_s: expected an integer >= 1, got 0'],
    ['[limits]\njson_max_depth = 2', 'cortex.toml: limits.json_max_depth: expected an integer >= 8, got 2'],
    [
      '[[auth.keys]]\nkey = "k"\naccount_id = "a"\nshare = 0',
      'cortex.toml: auth.keys[0].share: expected a number > 0 and <= 100, got 0',
    ],
    ['[gateway]\nlisten = "31313"', 'cortex.toml: gateway.listen: expected "host:port", got "31313"'],
    ['[gateway]\nmetrics_listen = 31314', 'cortex.toml: gateway.metrics_listen: expected "host:port", got 31314'],
    ['[gateway]\nlisten = "host:99999"', 'cortex.toml: gateway.listen: expected "host:port", got "host:99999"'],
    ['[eviction]\nstrategy = "fifo"', 'cortex.toml: eviction.strategy: expected "lru" or "priority", got "fifo"'],
    [
      '[eviction]\ndefrag_after_cycles = -1',
      'cortex.toml: eviction.defrag_after_cycles: expected an integer >= 0, got -1',
    ],
    [
      '[eviction]\nidle_unload_after_s = 1.5',
      'cortex.toml: eviction.idle_unload_after_s: expected an integer >= 0, got 1.5',
    ],
    ['[eviction]\nmin_residency_s = "30"', 'cortex.toml: eviction.min_residency_s: expected an integer >= 0, got "30"'],
    ['[[neurons]]\nname = "a"', 'cortex.toml: neurons[0].endpoint: expected an http:// or https:// URL, got nothing'],
    [
      '[[neurons]]\nname = ""\nendpoint = "http://a:1"',
      'cortex.toml: neurons[0].name: expected a non-empty string, got ""',
    ],
    [
      '[[neurons]]\nname = "a"\nendpoint = "ftp://a"',
      'cortex.toml: neurons[0].endpoint: expected an http:// or https:// URL, got "ftp://a"',
    ],
    [
      '[[neurons]]\nname = "a"\nendpoint = "http://a:1"\ntoken = 5',
      'cortex.toml: neurons[0].token: expected a non-empty string, got 5',
    ],
    ['neurons = { a = 1 }', 'cortex.toml: neurons: expected an array of tables ([[…]]), got {"a":1}'],
    ['[auth]\nrequire_auth = "yes"', 'cortex.toml: auth.require_auth: expected true or false, got "yes"'],
    ['[[auth.keys]]\nkey = "k"', 'cortex.toml: auth.keys[0].account_id: expected a non-empty string, got nothing'],
    ['[poller]\ninterval_ms = 10', 'cortex.toml: poller.interval_ms: expected an integer >= 100, got 10'],
    ['[poller]\ntimeout_ms = 0', 'cortex.toml: poller.timeout_ms: expected an integer >= 50, got 0'],
    ['[poller]\nunhealthy_after = 0', 'cortex.toml: poller.unhealthy_after: expected an integer >= 1, got 0'],
    ['models_config = ""', 'cortex.toml: models_config: expected a non-empty string, got ""'],
    ['gateway = 3', 'cortex.toml: gateway: expected a table, got 3'],
    ['x = ', 'cortex.toml: invalid TOML at line 1, column 5'],
  ])('rejects %j with a message naming the key', (text, message) => {
    expect(issueOf(text)).toContain(message);
  });

  it.each([
    ['nuerons = []', 'unknown key "nuerons"; did you mean "neurons"?'],
    ['[gateway]\nmetrics_lisen = "a:1"', 'unknown key "metrics_lisen" in gateway; did you mean "metrics_listen"?'],
    ['[evict]\nstrategy = "lru"', 'unknown key "evict"; did you mean "eviction"?'],
    [
      '[[neurons]]\nname = "a"\nendpont = "http://a:1"',
      'unknown key "endpont" in neurons[0]; did you mean "endpoint"?',
    ],
  ])('suggests the nearest key for %j', (text, message) => {
    expect(issueOf(text)).toContain(message);
  });

  it('reports cross-key problems', () => {
    const twice = '[[neurons]]\nname = "a"\nendpoint = "http://a:1"\n';
    expect(issueOf(twice + twice)).toContain('neurons: duplicate name "a"');
    expect(issueOf('[auth]\nrequire_auth = true')).toContain('auth.require_auth: expected at least one');
    expect(issueOf('[state]\nredis_url = "localhost:6379"')).toContain('state.redis_url: expected redis://');
    expect(parse('[state]\nredis_url = "redis://10.0.0.5:6379/2"').state.redis_url).toBe('redis://10.0.0.5:6379/2');
    const key = '[[auth.keys]]\nkey = "k"\naccount_id = "a"\n';
    expect(issueOf(`${key}hard_cap = 10\nwindow = { kind = "rolling" }`)).toContain(
      "auth.keys[0].window.seconds: expected the rolling window's length",
    );
    expect(issueOf(`${key}window = { seconds = 60 }`)).toContain(
      'auth.keys[0].window.seconds: a balance has no window',
    );
    expect(issueOf('[[auth.accounts]]\naccount_id = "a"\nhard_cap = 0')).toContain('auth.accounts[0].hard_cap');
    expect(issueOf('[[auth.accounts]]\naccount_id = "a"\n[[auth.accounts]]\naccount_id = "a"')).toContain(
      'auth.accounts: duplicate account_id "a"',
    );
    expect(issueOf('[state]\nbudgets_when_down = "maybe"')).toContain('state.budgets_when_down');
    expect(issueOf('[entitlements.upstream]\nurl = "http://authz:8080"')).toContain('entitlements.upstream.bearer');
    expect(issueOf('[entitlements.upstream]\nurl = "authz"\nbearer = "b"')).toContain('entitlements.upstream.url');
    expect(
      parse('[entitlements.upstream]\nurl = "http://authz:8080"\nbearer = "b"').entitlements.upstream,
    ).toMatchObject({ timeout_ms: 5000, cache_s: 30, served_usage_interval_s: 60 });
    const rolling = parse(`${key}hard_cap = 10\nwindow = { kind = "rolling", seconds = 60 }`).auth.keys[0]!;
    expect(rolling).toMatchObject({ hard_cap: 10, window: { kind: 'rolling', seconds: 60 } });
  });

  it('applies CORTEX_ environment overrides, typed as TOML values', () => {
    const sut = parse('[[neurons]]\nname = "a"\nendpoint = "http://a:1"', {
      CORTEX_GATEWAY__LISTEN: '127.0.0.1:9000',
      CORTEX_POLLER__INTERVAL_MS: '500',
      CORTEX_AUTH__REQUIRE_AUTH: 'false',
      CORTEX_NEURONS__0__ENDPOINT: 'http://b:2',
      CORTEX_MODELS_CONFIG: '/etc/cortex/models.toml',
      CORTEX_NEURON_FAULTS: '1',
    });
    expect(sut.gateway.listen).toBe('127.0.0.1:9000');
    expect(sut.poller.interval_ms).toBe(500);
    expect(sut.auth.require_auth).toBe(false);
    expect(sut.neurons[0]!.endpoint).toBe('http://b:2');
    expect(sut.models_config).toBe('/etc/cortex/models.toml');
  });

  it('validates environment overrides like file values and flags misspelt sections', () => {
    expect(issueOf('', { CORTEX_GATEWAY__LISTEN: '31313' })).toContain(
      'cortex.toml: gateway.listen: expected "host:port", got 31313',
    );
    expect(issueOf('', { CORTEX_GATWAY__LISTEN: 'a:1' })).toContain(
      'environment CORTEX_GATWAY__LISTEN: unknown key "gatway"; did you mean "gateway"?',
    );
  });

  it('serves off loopback only with a credential on each port, or an explicit opt-out', () => {
    const keyed = '[auth]\nrequire_auth = true\n[[auth.keys]]\nkey = "k"\naccount_id = "a"\n';
    expect(() => parse(`[gateway]\nlisten = "0.0.0.0:1"\n${keyed}`)).not.toThrow();
    expect(() => parse('[gateway]\nlisten = "0.0.0.0:1"\n[auth]\nallow_anonymous = true')).not.toThrow();
    expect(() => parse('[gateway]\nmetrics_listen = "0.0.0.0:2"\nmetrics_token = "m"')).not.toThrow();
    expect(() => parse('[gateway]\nmetrics_listen = "0.0.0.0:2"\nmetrics_public = true')).not.toThrow();
    expect(() => parse('[gateway]\nlisten = "localhost:1"\nmetrics_listen = "[::1]:2"')).not.toThrow();
  });
});
