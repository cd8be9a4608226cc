import { describe, expect, it } from 'vitest';
import { type BuildInfo, buildId, buildInfo, versionLine } from './build-info';

const b: BuildInfo = {
  name: 'cortex',
  version: '1.2.3',
  git_sha: '0123456789abcdef0123456789abcdef01234567',
  dirty: true,
  built_at: '2026-12-03T16:00:00.000Z',
  node: 'v24.11.0',
  node_llama_cpp: '3.21.1',
  llama_cpp: 'ggml-org/llama.cpp@b7000',
};

describe('build info', () => {
  it('reads the package version and the engine versions installed beside it', () => {
    const info = buildInfo();
    expect(info.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(info.node).toBe(process.version);
    expect(info.node_llama_cpp).toBe('3.21.1');
    expect(info.llama_cpp).toMatch(/^ggml-org\/llama\.cpp@/);
  });

  it('names a build by version and commit, dirty or not', () => {
    expect(buildId(b)).toBe('1.2.3+0123456789ab-dirty');
    expect(buildId({ ...b, dirty: false })).toBe('1.2.3+0123456789ab');
    expect(buildId({ ...b, git_sha: null, dirty: null })).toBe('1.2.3+unknown');
  });

  it('writes one line for --version', () => {
    expect(versionLine(b)).toBe(
      '1.2.3 (0123456789ab-dirty, built 2026-12-03T16:00:00.000Z; node v24.11.0, node-llama-cpp 3.21.1, llama.cpp ggml-org/llama.cpp@b7000)',
    );
    expect(versionLine({ ...b, git_sha: null, built_at: null, node_llama_cpp: null, llama_cpp: null })).toBe(
      '1.2.3 (unknown commit; node v24.11.0)',
    );
  });
});
