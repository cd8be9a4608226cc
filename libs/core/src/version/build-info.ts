/**
 * What build a process runs, so version skew across a fleet is visible: the package version, the git
 * commit and whether its tree was dirty and when it was built (written into dist/ by
 * scripts/build-info.mjs at build time), the Node version, and the node-llama-cpp and llama.cpp
 * versions installed beside it (read from their package files: nothing imports node-llama-cpp here).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export interface BuildInfo {
  name: 'cortex';
  version: string;
  git_sha: string | null;
  dirty: boolean | null;
  built_at: string | null;
  node: string;
  node_llama_cpp: string | null;
  llama_cpp: string | null;
}

/** The first `rel` found walking up from this file's folder. */
function findUp(rel: string, from = __dirname): string | null {
  for (let dir = from, i = 0; i < 8; i++, dir = dirname(dir)) {
    const p = join(dir, rel);
    if (existsSync(p)) return p;
  }
  return null;
}

function readJson<T>(path: string | null): T | null {
  try {
    return path ? (JSON.parse(readFileSync(path, 'utf8')) as T) : null;
  } catch {
    return null;
  }
}

let cached: BuildInfo | undefined;

export function buildInfo(): BuildInfo {
  if (cached) return cached;
  const built = readJson<{ git_sha?: string; dirty?: boolean; built_at?: string }>(findUp('dist/build-info.json'));
  const pkg = readJson<{ version: string }>(findUp('package.json'));
  const nlc = readJson<{ version: string }>(findUp('node_modules/node-llama-cpp/package.json'));
  const llama = readJson<{ tag?: string; llamaCppGithubRepo?: string }>(
    findUp('node_modules/node-llama-cpp/llama/llama.cpp.info.json'),
  );
  cached = {
    name: 'cortex',
    version: pkg?.version ?? '0.0.0',
    git_sha: built?.git_sha ?? null,
    dirty: built?.dirty ?? null,
    built_at: built?.built_at ?? null,
    node: process.version,
    node_llama_cpp: nlc?.version ?? null,
    llama_cpp: llama?.tag ? `${llama.llamaCppGithubRepo ?? 'llama.cpp'}@${llama.tag}` : null,
  };
  return cached;
}

/** One line for `--version` and logs: "0.1.0 (abc1234-dirty, built …; node v24…, node-llama-cpp 3.21.1, llama.cpp …)". */
export function versionLine(b: BuildInfo = buildInfo()): string {
  const commit = b.git_sha ? `${b.git_sha.slice(0, 12)}${b.dirty ? '-dirty' : ''}` : 'unknown commit';
  const built = b.built_at ? `, built ${b.built_at}` : '';
  const engine = [
    `node ${b.node}`,
    b.node_llama_cpp && `node-llama-cpp ${b.node_llama_cpp}`,
    b.llama_cpp && `llama.cpp ${b.llama_cpp}`,
  ];
  return `${b.version} (${commit}${built}; ${engine.filter(Boolean).join(', ')})`;
}

/** The version two builds are compared by: the package version and the commit. */
export function buildId(b: Pick<BuildInfo, 'version' | 'git_sha' | 'dirty'>): string {
  return `${b.version}+${b.git_sha?.slice(0, 12) ?? 'unknown'}${b.dirty ? '-dirty' : ''}`;
}
