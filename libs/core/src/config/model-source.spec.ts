import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CortexError } from '../errors';
import { resolveSource } from './model-source';

const root = mkdtempSync(join(tmpdir(), 'cortex-src-'));
const models = join(root, 'models');
mkdirSync(join(models, 'sub'), { recursive: true });
writeFileSync(join(models, 'sub', 'm.gguf'), 'x');
writeFileSync(join(root, 'secret.gguf'), 'x');
symlinkSync(join(root, 'secret.gguf'), join(models, 'link.gguf'));

describe(resolveSource.name, () => {
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('resolves files inside models_dir and passes remote URIs through', () => {
    expect(resolveSource('sub/m.gguf', models)).toEqual({ kind: 'file', path: join(models, 'sub', 'm.gguf') });
    expect(resolveSource('hf:org/repo/m.gguf', models)).toEqual({ kind: 'remote', uri: 'hf:org/repo/m.gguf' });
    expect(resolveSource('https://h/m.gguf', models)).toEqual({ kind: 'remote', uri: 'https://h/m.gguf' });
  });

  it.each([
    '../secret.gguf',
    'sub/../../secret.gguf',
    join(root, 'secret.gguf'),
    'link.gguf',
    'file:///etc/passwd',
    '.',
  ])('refuses %s', (source) => {
    expect(() => resolveSource(source, models)).toThrow(CortexError);
  });

  it('says when the file does not exist', () => {
    expect(() => resolveSource('nope.gguf', models)).toThrow('no file "nope.gguf" in models_dir');
  });
});
