import { execFileSync, execSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { scratch, startCortex } from './helpers/processes';

// `npm start` is `cortex up`: the README's curl must work against it, and Ctrl-C must leave no
// process behind.

describe('cortex up (npm start)', () => {
  const s = scratch('up');
  afterAll(() => s.cleanup());

  it('starts a neuron, the gateway and the demo model; the README curl works; Ctrl-C stops everything', async () => {
    const up = await startCortex(
      ['up', '--data-dir', s.dir, '--port', '0', '--metrics-port', '0', '--neuron-port', '0'],
      {},
      60_000,
    );
    await up.waitFor(/Ctrl-C stops everything/);
    const gateway = /cortex is up: (http:\/\/\S+)/.exec(up.output())![1]!;
    const neuronPid = Number(/\[neuron\] .*?\[Nest\] (\d+)/.exec(up.output())?.[1]);

    const readme = readFileSync(resolve(__dirname, '../README.md'), 'utf8');
    const curl = readme
      .match(/curl http:\/\/127\.0\.0\.1:31313\/v1\/chat\/completions[^\n]*\\\n[^\n]*/)![0]!
      .replace('http://127.0.0.1:31313', gateway)
      .replace('\\\n', ' ');
    const answer = JSON.parse(execSync(curl, { encoding: 'utf8', shell: '/bin/sh' })) as {
      choices: Array<{ message: { content: string } }>;
      usage: { completion_tokens: number };
    };
    expect(answer.usage.completion_tokens).toBe(32);
    expect(answer.choices[0]!.message.content.length).toBeGreaterThan(0);

    // Claude Code's first request (recorded with its long strings cut: ~11k tokens in the demo's vocabulary, 24 tools) fits
    // the context the demo model gets without context_size: the window clients are told.
    const models = (await (await fetch(`${gateway}/v1/models`)).json()) as {
      data: Array<{ id: string; limit?: { context: number; output: number } }>;
    };
    const limit = models.data.find((m) => m.id === 'tiny-chat')!.limit!;
    expect(limit.context).toBe(65_536);
    expect(limit.output).toBe(limit.context / 4);
    const recorded = JSON.parse(
      readFileSync(resolve(__dirname, 'fixtures/clients/claude-code-2.1.197-messages.json'), 'utf8'),
    ) as { headers: Record<string, string>; body: Record<string, unknown> };
    const body: Record<string, unknown> = { ...recorded.body, model: 'tiny-chat', max_tokens: 8 };
    const count = (await (
      await fetch(`${gateway}/v1/messages/count_tokens`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01' },
        body: JSON.stringify({ model: body.model, system: body.system, tools: body.tools, messages: body.messages }),
      })
    ).json()) as { input_tokens: number };
    expect(count.input_tokens).toBeGreaterThan(8192);
    const res = await fetch(`${gateway}/v1/messages?beta=true`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01' },
      body: JSON.stringify(body),
    });
    const events = await res.text();
    expect(res.status, events).toBe(200);
    expect(events).toContain('event: message_stop');
    expect(events).not.toContain('event: error');

    const code = await up.stop('SIGINT');
    expect(code).toBe(0);
    expect(neuronPid).toBeGreaterThan(0);
    expect(() => process.kill(neuronPid, 0)).toThrow();
    const left = execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' })
      .split('\n')
      .filter((line) => line.includes(s.dir) && !line.startsWith('ps '));
    expect(left).toEqual([]);
  }, 90_000);
});
