// Why: some tests drive real system programs (a headless browser, Prometheus, systemd's unit
// checker); `npm test` on a fresh Debian/Ubuntu machine installs the missing ones itself when it
// may (root, or sudo without a password), and otherwise stops at once with the exact command.
import { spawnSync } from 'node:child_process';

/** Program the tests run → the Debian package that provides it. */
export const SYSTEM_PACKAGES = [
  ['chromium', 'chromium'],
  ['prometheus', 'prometheus'],
  ['systemd-analyze', 'systemd'],
];

const onPath = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;

/** Installs what is missing, or explains how; returns an error message, or null when all is there. */
export function ensureSystemPackages() {
  const missing = SYSTEM_PACKAGES.filter(([cmd]) => !onPath(cmd)).map(([, pkg]) => pkg);
  if (!missing.length) return null;
  const install = `apt-get update && apt-get install -y --no-install-recommends ${missing.join(' ')}`;
  const manual = `the tests need the Debian package(s) ${missing.join(', ')}; install them with:\n  sudo sh -c '${install}'`;
  if (!onPath('apt-get')) return `${manual}\n(no apt-get here: install the equivalent packages for this system)`;
  const root = process.getuid?.() === 0;
  const sudo = !root && onPath('sudo') && spawnSync('sudo', ['-n', 'true'], { stdio: 'ignore' }).status === 0;
  if (!root && !sudo) return manual;
  console.log(`installing ${missing.join(', ')} with apt-get (needed by the tests)`);
  const pre = root ? [] : ['sudo', '-n'];
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  for (const args of [
    ['apt-get', 'update', '-qq'],
    ['apt-get', 'install', '-y', '-qq', '--no-install-recommends', ...missing],
  ]) {
    const [cmd, ...rest] = [...pre, ...args];
    const r = spawnSync(cmd, rest, { stdio: ['ignore', 'ignore', 'inherit'], env });
    if (r.status !== 0) return `${args.slice(0, 2).join(' ')} failed; ${manual}`;
  }
  const still = SYSTEM_PACKAGES.filter(([cmd]) => !onPath(cmd)).map(([cmd]) => cmd);
  return still.length ? `installed, yet ${still.join(', ')} is not on PATH; ${manual}` : null;
}
