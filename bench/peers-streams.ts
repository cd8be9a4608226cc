/** bench:peers' open loops and paced streams (fake neuron mode): requests at a fixed rate, and client-side decode rates through each proxy. */
import { request } from 'undici';
import { startFleet, writeGatewayConfig } from './fleet';
import { startCli } from './lib';
import { type Target, agent, chatBody, once, portkeyLog, startNginx } from './proxies';

/** Requests sent at a fixed rate whatever the answers do (open loop), `n` in all. */
export async function openLoop(t: Target, body: string, rps: number, n: number): Promise<number[]> {
  const start = performance.now();
  const jobs: Array<Promise<number>> = [];
  for (let i = 0; i < n; i++) {
    const due = start + (i * 1000) / rps;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    jobs.push(once(t, body));
  }
  return Promise.all(jobs);
}

/** One paced stream; its client-side decode rate (tokens after the first over their time) or an error. */
async function streamRate(t: Target, tokens: number): Promise<number | string> {
  try {
    const res = await request(`${t.url}/v1/chat/completions`, {
      method: 'POST',
      body: chatBody('chat', { max_tokens: tokens, stream: true }),
      headers: { 'content-type': 'application/json', ...t.headers },
      dispatcher: agent,
    });
    if (res.statusCode !== 200) return `HTTP ${res.statusCode}: ${(await res.body.text()).slice(0, 120)}`;
    let first = 0;
    let last = 0;
    let seen = 0;
    for await (const chunk of res.body) {
      const n = (String(chunk).match(/"content":"t*\d+ "/g) ?? []).length;
      if (!n) continue;
      last = performance.now();
      if (!first) first = last;
      seen += n;
    }
    if (seen < tokens) return `stream ended after ${seen} of ${tokens} tokens`;
    return (seen - 1) / ((last - first) / 1000);
  } catch (err) {
    return (err as Error).message;
  }
}

/** 8 concurrent streams of 200 tokens per proxy from a fake neuron pacing 200 tok/s: the table's lines. */
export async function streamRows(
  targets: Target[],
  dir: string,
  stops: Array<() => Promise<void> | void>,
): Promise<string[]> {
  const paced = await startFleet({ neurons: 1, catalogue: ['chat'], options: { tokensPerSecond: 200 } });
  stops.push(paced.stop);
  const up = paced.urls[0]!;
  const gw = await startCli(['serve', '--config', writeGatewayConfig(dir, [up], ['chat'])]);
  stops.push(gw.stop);
  const nginx = await startNginx(`${dir}/paced`, up);
  stops.push(nginx.stop);
  const streamTargets = targets
    .filter((t) => t.name !== 'node floor' && t.name !== 'cortex before')
    .map((t) =>
      t.name === 'direct'
        ? { ...t, url: up }
        : t.name === 'cortex'
          ? { ...t, url: gw.url }
          : t.name === 'nginx'
            ? nginx.target
            : { ...t, headers: { ...t.headers, 'x-portkey-custom-host': `${up}/v1` } },
    );
  const rows: string[] = [];
  let directRate = 0;
  for (const t of streamTargets) {
    const results = await Promise.all(Array.from({ length: 8 }, () => streamRate(t, 200)));
    const rates = results.filter((r): r is number => typeof r === 'number');
    const errors = results.filter((r): r is string => typeof r === 'string');
    const rate = rates.length ? rates.reduce((a, b) => a + b, 0) / rates.length : 0;
    if (t.name === 'direct') directRate = rate;
    const why = t.name === 'portkey' && errors.length ? /^.*(TypeError|Error):.*$/m.exec(portkeyLog)?.[0] : undefined;
    const error = [errors[0], why && `its log: \`${why.trim().slice(0, 120)}\``].filter(Boolean).join('; ');
    rows.push(
      `| ${t.name} | ${rates.length}/8 | ${rate ? rate.toFixed(1) : '—'} | ${rate && directRate ? `${(rate / directRate).toFixed(3)}×` : '—'} | ${error.replace(/\|/g, '/')} |`,
    );
    console.log(rows.at(-1));
  }
  return [
    'Streaming: 8 concurrent streams of 200 tokens from a fake neuron pacing 200 tok/s; client-side decode rate (mean of streams).',
    '',
    '| path | streams complete | tok/s per stream | vs direct | error |',
    '| --- | --- | --- | --- | --- |',
    ...rows,
  ];
}
