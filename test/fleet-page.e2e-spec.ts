import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { WebSocket } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GatewayHandle, startGateway } from './helpers/gateway';
import { type NeuronHandle, startNeuron } from './helpers/neuron';
import { freePort, json, until } from './helpers/processes';

// The fleet web page in a real headless Chromium (Debian `chromium`, which .ci/run installs), driven
// over the DevTools protocol against a running gateway and neuron: the loaded model appears, a new
// request appears live, and a phone-sized screenshot is saved as a CI artifact.

const ARTIFACTS = resolve(__dirname, 'artifacts');

/** A minimal DevTools-protocol client: one page, request/response by id. */
class Cdp {
  private next = 0;
  private readonly pending = new Map<number, (v: unknown) => void>();
  constructor(private readonly ws: WebSocket) {
    ws.addEventListener('message', (e) => {
      const msg = JSON.parse(String(e.data)) as { id?: number; result?: unknown; error?: unknown };
      if (msg.id !== undefined)
        this.pending.get(msg.id)?.(msg.error ? Promise.reject(new Error(JSON.stringify(msg.error))) : msg.result);
    });
  }
  static async open(url: string): Promise<Cdp> {
    const ws = new WebSocket(url);
    await new Promise((r, j) => {
      ws.addEventListener('open', r);
      ws.addEventListener('error', j);
    });
    return new Cdp(ws);
  }
  send<T = Record<string, unknown>>(method: string, params: Record<string, unknown> = {}): Promise<T> {
    const id = ++this.next;
    this.ws.send(JSON.stringify({ id, method, params }));
    return new Promise((r) => this.pending.set(id, r as (v: unknown) => void));
  }
  async text(selector: string): Promise<string | null> {
    const r = await this.send<{ result: { value: string | null } }>('Runtime.evaluate', {
      expression: `document.querySelector(${JSON.stringify(selector)})?.textContent ?? null`,
      returnByValue: true,
    });
    return r.result.value;
  }
  close(): void {
    this.ws.close();
  }
}

describe('the fleet web page in headless Chromium', () => {
  let neuron: NeuronHandle;
  let gw: GatewayHandle;
  let chromium: ChildProcess;
  let cdp: Cdp;

  beforeAll(async () => {
    execFileSync('chromium', ['--version']); // installed by .ci/run; a missing browser fails here, never skips
    neuron = await startNeuron('devices = ["cpu"]\n');
    gw = await startGateway({
      neurons: [{ name: 'n', url: neuron.url }],
      models: '[[models]]\nid = "chat"\nsource = "tiny.gguf"\ncontext_size = 1024\n',
    });
    expect((await json(`${gw.url}/admin/models/load`, { model: 'chat' })).status).toBe(200);
    const port = await freePort();
    chromium = spawn('chromium', [
      '--headless=new',
      '--no-sandbox',
      '--disable-gpu',
      '--no-first-run',
      `--remote-debugging-port=${port}`,
      '--window-size=412,915',
      'about:blank',
    ]);
    const target = await until(
      async () => {
        const list = (await (await fetch(`http://127.0.0.1:${port}/json/list`)).json()) as Array<{
          type: string;
          webSocketDebuggerUrl: string;
        }>;
        return list.find((t) => t.type === 'page');
      },
      20_000,
      200,
    ).catch((e: Error) => {
      throw new Error(`chromium did not start: ${e.message}`);
    });
    cdp = await Cdp.open(target.webSocketDebuggerUrl);
    await cdp.send('Page.enable');
    await cdp.send('Page.navigate', { url: `${gw.url}/` });
  }, 60_000);
  afterAll(async () => {
    cdp?.close();
    chromium?.kill('SIGKILL');
    await gw?.close();
    await neuron?.close();
  });

  it('shows the loaded model, then a request made after it loaded, and saves a screenshot', async () => {
    const row = await until(
      async () => {
        const t = await cdp.text('[data-model="chat"]');
        return t?.includes('loaded') ? t : undefined;
      },
      15_000,
      200,
    );
    expect(row).toMatch(/chat.*loaded.*n cpu/);
    expect(await cdp.text('#status')).toBe('ok');
    const r = await json(
      `${gw.url}/v1/chat/completions`,
      { model: 'chat', max_tokens: 2, messages: [{ role: 'user', content: 'x' }] },
      { 'x-request-id': 'page-live-1' },
    );
    expect(r.status).toBe(200);
    const live = await until(async () => (await cdp.text('[data-request="page-live-1"]')) ?? undefined, 15_000, 200);
    expect(live).toMatch(/\/v1\/chat\/completions.*chat.*200/);
    const shot = await cdp.send<{ data: string }>('Page.captureScreenshot', { format: 'png' });
    mkdirSync(ARTIFACTS, { recursive: true });
    writeFileSync(resolve(ARTIFACTS, 'fleet-page.png'), Buffer.from(shot.data, 'base64'));
    expect(Buffer.from(shot.data, 'base64').length).toBeGreaterThan(5_000);
  });

  it('API clients keep their JSON at GET /', async () => {
    const res = await fetch(`${gw.url}/`, { headers: { accept: 'application/json' } });
    expect(await res.json()).toMatchObject({ name: 'cortex' });
    const page = await fetch(`${gw.url}/`, { headers: { accept: 'text/html,application/xhtml+xml' } });
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(await page.text()).toContain('<title>cortex fleet</title>');
  });
});
