/** What a fresh machine needs: the system packages npm test installs or asks for, and the Node LTS lines. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
// @ts-expect-error -- a plain .mjs script (scripts/ is not TypeScript)
import { SYSTEM_PACKAGES, plan } from '../../scripts/system-packages.mjs';

type Plan = { action: string; message?: string; prefix?: string[]; packages?: string[] };
const planFor = plan as (missing: string[], m: { aptGet: boolean; root: boolean; sudo: boolean }) => Plan;

describe('a fresh machine', () => {
  it('names the Debian package of every system program the tests drive', () => {
    expect(SYSTEM_PACKAGES).toEqual([
      ['chromium', 'chromium'],
      ['prometheus', 'prometheus'],
      ['redis-server', 'redis-server'],
      ['systemd-analyze', 'systemd'],
    ]);
  });

  it('installs missing packages as root or with password-less sudo, else stops with the exact command', () => {
    expect(planFor([], { aptGet: true, root: false, sudo: false })).toEqual({ action: 'none' });
    expect(planFor(['chromium'], { aptGet: true, root: true, sudo: false })).toMatchObject({
      action: 'install',
      prefix: [],
      packages: ['chromium'],
    });
    expect(planFor(['chromium', 'prometheus'], { aptGet: true, root: false, sudo: true })).toMatchObject({
      action: 'install',
      prefix: ['sudo', '-n'],
    });
    const told = planFor(['prometheus', 'systemd'], { aptGet: true, root: false, sudo: false });
    expect(told.action).toBe('explain');
    expect(told.message).toContain(
      "sudo sh -c 'apt-get update && apt-get install -y --no-install-recommends prometheus systemd'",
    );
    expect(planFor(['chromium'], { aptGet: false, root: true, sudo: false }).message).toContain('no apt-get here');
  });

  it('targets the Node LTS lines: engines >= 22, images on Node 24, CI runs Node 24 too', () => {
    const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { engines: { node: string } };
    expect(pkg.engines.node).toBe('>=22');
    for (const f of ['docker/gateway.Dockerfile', 'docker/neuron.Dockerfile', 'docker/compose.yaml']) {
      const text = readFileSync(f, 'utf8');
      expect(text, f).toContain('node:24-bookworm-slim');
      expect(text, f).not.toMatch(/node:2[02]-/);
    }
    const ci = readFileSync('.ci/run', 'utf8');
    expect(ci).toMatch(/npm ci/);
    expect(ci).toMatch(/npm test/);
    expect(ci).toMatch(/node@24/);
  });
});
