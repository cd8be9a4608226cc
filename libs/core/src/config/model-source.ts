/**
 * Where a model may come from, shared by the neuron (which loads it) and `cortex check` (which
 * vets a config before a restart): a file inside models_dir (anything that escapes it, by `..`, an
 * absolute path or a symlink, is refused), or an `hf:`/`https://` URI that [downloads] must allow.
 */
import { existsSync, realpathSync } from 'node:fs';
import { isAbsolute, relative, resolve } from 'node:path';
import { CortexError } from '../errors';
import type { DownloadsSection } from './neuron.schema';

export type ResolvedSource = { kind: 'file'; path: string } | { kind: 'remote'; uri: string };

const refuse = (message: string) => new CortexError('invalid_source', message, { param: 'source' });

function inside(dir: string, path: string): boolean {
  const rel = relative(dir, path);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel);
}

/** The file or URI a source names; throws a CortexError (400 invalid_source) when it may not be used. */
export function resolveSource(source: string, modelsDir: string): ResolvedSource {
  if (/^hf:[^/\s]+\/[^/\s]+\/\S+$/.test(source) || /^https:\/\//.test(source)) return { kind: 'remote', uri: source };
  if (/^[a-z][a-z0-9+.-]*:/i.test(source)) {
    throw refuse(`source: expected a file in models_dir, "hf:org/repo/file.gguf" or an https:// URL, got "${source}"`);
  }
  const root = resolve(modelsDir);
  const path = resolve(root, source);
  if (isAbsolute(source) || !inside(root, path)) {
    throw refuse(`source: "${source}" is outside models_dir; only files inside ${root} can be loaded`);
  }
  if (!existsSync(path)) throw refuse(`source: no file "${source}" in models_dir (${root})`);
  const real = realpathSync(path);
  if (!inside(realpathSync(root), real)) {
    throw refuse(`source: "${source}" links outside models_dir; only files inside ${root} can be loaded`);
  }
  return { kind: 'file', path: real };
}

/** Why [downloads] refuses a remote source (403), or null when it may be downloaded. */
export function remoteSourceRefusal(uri: string, d: DownloadsSection): CortexError | null {
  if (!d.enabled) {
    return new CortexError(
      'remote_sources_disabled',
      'source: remote sources are off on this neuron; put the file in models_dir or set [downloads] enabled = true',
      { param: 'source' },
    );
  }
  const url = new URL(uri.startsWith('hf:') ? (d.hf_endpoint ?? 'https://huggingface.co') : uri);
  if (d.allowed_hosts.includes(url.hostname) || d.allowed_hosts.includes(url.host)) return null;
  return new CortexError(
    'source_host_not_allowed',
    `source: host "${url.host}" is not in [downloads] allowed_hosts (${d.allowed_hosts.join(', ') || 'none'})`,
    { param: 'source' },
  );
}
