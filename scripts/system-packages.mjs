// Why: some tests drive real system programs (a headless browser, Prometheus, Redis, systemd's
// unit checker); `npm test` on a fresh Debian/Ubuntu machine installs the missing ones itself when it
// may (root, or sudo without a password), and otherwise stops at once with the exact command.
import { spawnSync } from 'node:child_process';

/** Program the tests run → the Debian package that provides it. */
export const SYSTEM_PACKAGES = [
  ['chromium', 'chromium'],
  ['prometheus', 'prometheus'],
  ['redis-server', 'redis-server'],
  ['systemd-analyze', 'systemd'],
];

const onPath = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;

/**
 * What to do about the packages whose program is missing: nothing, install them (with sudo or not),
 * or explain. `machine` says what this machine allows.
 */
export function plan(missing, machine) {
  if (!missing.length) return { action: 'none' };
  const install = `apt-get update && apt-get install -y --no-install-recommends ${missing.join(' ')}`;
  const explain = `the tests need the Debian package(s) ${missing.join(', ')}; install them with:\n  sudo sh -c '${install}'`;
  if (!machine.aptGet)
    return {
      action: 'explain',
      message: `${explain}\n(no apt-get here: install the equivalent packages for this system)`,
    };
  if (!machine.root && !machine.sudo) return { action: 'explain', message: explain };
  return { action: 'install', prefix: machine.root ? [] : ['sudo', '-n'], packages: missing, explain };
}

/** Installs what is missing, or explains how; returns an error message, or null when all is there. */
export function ensureSystemPackages() {
  const missing = SYSTEM_PACKAGES.filter(([cmd]) => !onPath(cmd)).map(([, pkg]) => pkg);
  const root = process.getuid?.() === 0;
  const p = plan(missing, {
    aptGet: missing.length > 0 && onPath('apt-get'),
    root,
    sudo:
      missing.length > 0 &&
      !root &&
      onPath('sudo') &&
      spawnSync('sudo', ['-n', 'true'], { stdio: 'ignore' }).status === 0,
  });
  if (p.action === 'none') return null;
  if (p.action === 'explain') return p.message;
  console.log(`installing ${p.packages.join(', ')} with apt-get (needed by the tests)`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  for (const args of [
    ['apt-get', 'update', '-qq'],
    ['apt-get', 'install', '-y', '-qq', '--no-install-recommends', ...p.packages],
  ]) {
    const [cmd, ...rest] = [...p.prefix, ...args];
    const r = spawnSync(cmd, rest, { stdio: ['ignore', 'ignore', 'inherit'], env });
    if (r.status !== 0) return `${args.slice(0, 2).join(' ')} failed; ${p.explain}`;
  }
  const still = SYSTEM_PACKAGES.filter(([cmd]) => !onPath(cmd)).map(([cmd]) => cmd);
  return still.length ? `installed, yet ${still.join(', ')} is not on PATH; ${p.explain}` : null;
}
