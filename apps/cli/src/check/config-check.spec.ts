import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkGateway, checkNeuron, exitCodeOf, formatReport } from './config-check';

const dir = mkdtempSync(join(tmpdir(), 'cortex-check-'));
const file = (name: string, text: string) => {
  writeFileSync(join(dir, name), text);
  return join(dir, name);
};
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('cortex check', () => {
  it('passes a valid gateway config with its catalogue (exit 0)', async () => {
    file('models.toml', '[[models]]\nid = "m"\nsource = "m.gguf"\n[aliases]\n"a" = "m"\n');
    const r = await checkGateway(file('ok.toml', 'models_config = "models.toml"\n[gateway]\nlisten = "127.0.0.1:0"\n'));
    expect(r).toMatchObject({ ok: true, problems: [] });
    expect(r.files).toHaveLength(2);
    expect(exitCodeOf(r)).toBe(0);
  });

  it('lists every problem with its key path, the catalogue’s too, and environment overrides apply (exit 1)', async () => {
    file('bad-models.toml', '[[models]]\nid = "m"\nsource = "../m.gguf"\n[aliases]\n"a" = "nope"\n');
    const cfg = file('bad.toml', 'models_config = "bad-models.toml"\n[poller]\ninterval_ms = 5\n');
    const r = await checkGateway(cfg, { env: { CORTEX_GATEWAY__LISTEN: '0.0.0.0:0' } });
    expect(r.ok).toBe(false);
    expect(r.problems.map((p) => p.path)).toEqual(['poller.interval_ms', 'gateway.listen']);
    const good = file('cat.toml', 'models_config = "bad-models.toml"\n');
    const cat = await checkGateway(good);
    expect(cat.problems.map((p) => `${p.file} ${p.path}`)).toEqual([
      'bad-models.toml models[0].source',
      'bad-models.toml aliases.a',
    ]);
    expect(exitCodeOf(cat)).toBe(1);
    expect(formatReport(cat)).toMatch(/2 problem\(s\)\n$/);
  });

  it('says a file is unreadable (exit 2), for a missing file or invalid TOML', async () => {
    expect(exitCodeOf(await checkGateway(join(dir, 'missing.toml')))).toBe(2);
    expect(exitCodeOf(await checkNeuron(file('broken.toml', 'listen = ')))).toBe(2);
  });

  it('checks preload sources against models_dir and [downloads]', async () => {
    mkdirSync(join(dir, 'models'), { recursive: true });
    writeFileSync(join(dir, 'models', 'here.gguf'), 'x');
    const cfg = file(
      'neuron.toml',
      'listen = "127.0.0.1:0"\nmodels_dir = "models"\n' +
        '[[preload]]\nid = "a"\nsource = "here.gguf"\n' +
        '[[preload]]\nid = "b"\nsource = "gone.gguf"\n' +
        '[[preload]]\nid = "c"\nsource = "hf:org/repo/c.gguf"\n',
    );
    const r = await checkNeuron(cfg);
    expect(r.problems.map((p) => [p.path, p.message.split(' (')[0]])).toEqual([
      ['preload[1].source', 'no file "gone.gguf" in models_dir'],
      [
        'preload[2].source',
        'remote sources are off on this neuron; put the file in models_dir or set [downloads] enabled = true',
      ],
    ]);
  });

  it('reports a listen port already in use, unless told not to look', async () => {
    const busy: Server = createServer();
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', () => r()));
    const port = (busy.address() as { port: number }).port;
    try {
      const cfg = file('busy.toml', `listen = "127.0.0.1:${port}"\n`);
      const r = await checkNeuron(cfg);
      expect(r.problems).toEqual([
        { file: cfg, path: 'listen', message: `port ${port} on 127.0.0.1 is already in use` },
      ]);
      expect((await checkNeuron(cfg, { ports: false })).ok).toBe(true);
    } finally {
      busy.close();
    }
  });
});
