/** The layout rules a review would otherwise have to remember: folders depend one way, and files stay small. */
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const MAX_LINES = 300;

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return sources(p);
    return p.endsWith('.ts') && !p.endsWith('.spec.ts') ? [p] : [];
  });
}

describe('architecture', () => {
  it('no app has an import cycle between its folders', () => {
    const out = execFileSync(process.execPath, [
      'scripts/folder-cycles.mjs',
      'apps/gateway/src',
      'apps/neuron/src',
      'apps/cli/src',
    ]).toString();
    expect(out.trim().split('\n')).toEqual([
      'apps/gateway/src: no folder cycles',
      'apps/neuron/src: no folder cycles',
      'apps/cli/src: no folder cycles',
    ]);
  });

  it('finds a cycle when there is one (the check can fail)', () => {
    let failed: { status: number; stdout: Buffer } | undefined;
    try {
      execFileSync(process.execPath, ['scripts/folder-cycles.mjs', 'test/fixtures/folder-cycle']);
    } catch (err) {
      failed = err as { status: number; stdout: Buffer };
    }
    expect(failed?.status).toBe(1);
    expect(failed?.stdout.toString()).toContain('a ↔ b');
  });

  it(`no source file in apps/ or libs/ is over ${MAX_LINES} lines`, () => {
    const long = [...sources('apps'), ...sources('libs')]
      .map((f) => ({ f, n: readFileSync(f, 'utf8').split('\n').length - 1 }))
      .filter((x) => x.n > MAX_LINES)
      .map((x) => `${x.f}: ${x.n}`);
    expect(long).toEqual([]);
  });
});
