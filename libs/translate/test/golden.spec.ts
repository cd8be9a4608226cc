import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type Fixture, runFixture } from './golden-runner';

// Golden cases: each fixture holds an input and the reviewed expected output. UPDATE_GOLDEN=1
// rewrites `expected` from the current translator (review the diff before committing).
const dir = join(__dirname, 'fixtures');
const files = readdirSync(dir).filter((f) => f.endsWith('.json'));

describe('libs/translate golden fixtures', () => {
  it('has at least 40 cases', () => {
    expect(files.length).toBeGreaterThanOrEqual(40);
  });

  it.each(files)('%s', (file) => {
    const path = join(dir, file);
    const fixture = JSON.parse(readFileSync(path, 'utf8')) as Fixture;
    const actual = runFixture(fixture);
    if (process.env.UPDATE_GOLDEN === '1') {
      writeFileSync(path, `${JSON.stringify({ ...fixture, expected: actual }, null, 2)}\n`);
      return;
    }
    expect(fixture.expected, 'fixture has no expected output; run with UPDATE_GOLDEN=1').toBeDefined();
    expect(actual).toEqual(fixture.expected);
  });
});
