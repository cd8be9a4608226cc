import { spawnSync } from 'node:child_process';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CortexConfig, NeuronConfig, parseToml } from '@app/core';
import { CLI, scratch } from './helpers/processes';

// The shipped systemd units (deploy/systemd/) pass `systemd-analyze verify` (Debian's systemd, which
// `npm test` installs when missing), with `cortex` pointed at this build, and say what operators
// rely on: their own users, `cortex check` before start, secrets from environment files, and a stop
// timeout longer than the app's own drain.

const DIR = resolve(__dirname, '../deploy/systemd');
const UNITS = ['cortex-gateway.service', 'cortex-neuron.service'];

/** `Key=value` lines of a unit's [Service] section (repeated keys joined by a newline). */
function service(text: string): Record<string, string> {
  const body = text.split('[Service]')[1]!.split('[Install]')[0]!;
  const out: Record<string, string> = {};
  for (const line of body.split('\n')) {
    const m = /^(\w+)=(.*)$/.exec(line.trim());
    if (m) out[m[1]!] = out[m[1]!] ? `${out[m[1]!]}\n${m[2]}` : m[2]!;
  }
  return out;
}

describe('systemd units', () => {
  const s = scratch('systemd');
  afterAll(() => s.cleanup());

  it.each(UNITS)('%s passes systemd-analyze verify', (unit) => {
    // The unit names /usr/local/bin/cortex (where `npm install -g` puts it); here it is this build.
    const bin = join(s.dir, 'cortex');
    writeFileSync(bin, `#!/bin/sh\nexec "${process.execPath}" "${CLI}" "$@"\n`);
    chmodSync(bin, 0o755);
    const copy = join(s.dir, unit);
    writeFileSync(copy, readFileSync(join(DIR, unit), 'utf8').replaceAll('/usr/local/bin/cortex', bin));
    const r = spawnSync('systemd-analyze', ['verify', copy], { encoding: 'utf8' });
    expect(r.error, 'systemd-analyze is missing (npm test installs Debian systemd)').toBeUndefined();
    expect(`${r.stdout}${r.stderr}`.split('\n').filter((l) => l.includes(unit))).toEqual([]);
    expect(r.status).toBe(0);
  });

  it('runs each app as its own user, checks its config first, and keeps secrets in an env file', () => {
    const gw = service(readFileSync(join(DIR, 'cortex-gateway.service'), 'utf8'));
    const nr = service(readFileSync(join(DIR, 'cortex-neuron.service'), 'utf8'));
    expect(gw.User).toBe('cortex');
    expect(nr.User).toBe('cortex-neuron');
    expect(gw.ExecStartPre).toBe('/usr/local/bin/cortex check gateway --config /etc/cortex/cortex.toml');
    expect(nr.ExecStartPre).toBe('/usr/local/bin/cortex check neuron --config /etc/cortex/neuron.toml');
    expect(gw.EnvironmentFile).toBe('/etc/cortex/gateway.env');
    expect(nr.EnvironmentFile).toBe('/etc/cortex/neuron.env');
    for (const u of [gw, nr]) {
      expect(u.Restart).toBe('on-failure');
      expect(u.KillSignal).toBe('SIGTERM');
    }
    expect(nr.TimeoutStartSec).toBe('1800');
    expect(nr.TimeoutStopSec).toBe('120');
  });

  it('stops later than each app drains by default, so a drain is never cut by SIGKILL', () => {
    const gwDrain = parseToml('', CortexConfig, 'cortex.toml').gateway.drain_timeout_s;
    const nrDrain = parseToml('', NeuronConfig, 'neuron.toml').drain_timeout_s;
    const gw = service(readFileSync(join(DIR, 'cortex-gateway.service'), 'utf8'));
    const nr = service(readFileSync(join(DIR, 'cortex-neuron.service'), 'utf8'));
    expect(Number(gw.TimeoutStopSec)).toBeGreaterThanOrEqual(gwDrain + 10);
    expect(Number(nr.TimeoutStopSec)).toBeGreaterThanOrEqual(nrDrain + 10);
  });

  it('the env file examples set what the configs read from the environment', () => {
    const gwEnv = readFileSync(join(DIR, 'gateway.env.example'), 'utf8');
    const nrEnv = readFileSync(join(DIR, 'neuron.env.example'), 'utf8');
    expect(gwEnv).toMatch(/^CORTEX_NEURONS__0__TOKEN=/m);
    expect(gwEnv).toMatch(/^CORTEX_AUTH__KEYS__0__KEY=/m);
    expect(nrEnv).toMatch(/^NEURON_TOKEN=/m);
    // The gateway's sample config (docker/cortex.toml) leaves exactly these to the environment.
    const gwToml = readFileSync(resolve(__dirname, '../docker/cortex.toml'), 'utf8');
    const env = Object.fromEntries(
      gwEnv
        .split('\n')
        .filter((l) => /^[A-Z_0-9]+=/.test(l))
        .map((l) => l.split('=') as [string, string]),
    );
    const cfg = parseToml(gwToml, CortexConfig, 'cortex.toml', { envPrefix: 'CORTEX_', env });
    expect(cfg.neurons[0]!.token).toBe('replace-me-neuron-token');
    expect(cfg.auth.keys[0]!.key).toBe('replace-me-team-key');
    expect(cfg.auth.keys[1]!.key).toBe('replace-me-admin-key');
    expect(cfg.gateway.metrics_token).toBe('replace-me-metrics-token');
  });
});
