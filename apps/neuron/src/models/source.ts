/**
 * Where a model comes from: a file inside models_dir (anything that escapes it, by `..`, an absolute
 * path or a symlink, is refused), or an `hf:`/`https://` URI downloaded into models_dir.
 */
import { existsSync, realpathSync } from 'node:fs';
import { isAbsolute, relative, resolve } from 'node:path';
import type { ErrorCode } from '@app/core';

export type ResolvedSource = { kind: 'file'; path: string } | { kind: 'remote'; uri: string };

export class SourceError extends Error {
  constructor(
    message: string,
    readonly code: ErrorCode = 'invalid_source',
  ) {
    super(message);
  }
}

function inside(dir: string, path: string): boolean {
  const rel = relative(dir, path);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel);
}

export function resolveSource(source: string, modelsDir: string): ResolvedSource {
  if (/^hf:[^/\s]+\/[^/\s]+\/\S+$/.test(source) || /^https:\/\//.test(source)) return { kind: 'remote', uri: source };
  if (/^[a-z][a-z0-9+.-]*:/i.test(source)) {
    throw new SourceError(
      `source: expected a file in models_dir, "hf:org/repo/file.gguf" or an https:// URL, got "${source}"`,
    );
  }
  const root = resolve(modelsDir);
  const path = resolve(root, source);
  if (isAbsolute(source) || !inside(root, path)) {
    throw new SourceError(`source: "${source}" is outside models_dir; only files inside ${root} can be loaded`);
  }
  if (!existsSync(path)) throw new SourceError(`source: no file "${source}" in models_dir (${root})`);
  const real = realpathSync(path);
  if (!inside(realpathSync(root), real)) {
    throw new SourceError(`source: "${source}" links outside models_dir; only files inside ${root} can be loaded`);
  }
  return { kind: 'file', path: real };
}
