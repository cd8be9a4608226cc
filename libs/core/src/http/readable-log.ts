/**
 * Log lines for people: on a terminal (or with CORTEX_LOG_FORMAT=pretty) each pino JSON line is
 * written as one short line — time, app, level, and for requests the method, route, status,
 * duration, model, node, tokens and error — instead of JSON. Off a terminal the JSON lines stay, for
 * machines (journald, Loki, jq). CORTEX_LOG_FORMAT=json forces JSON on a terminal.
 */
import { Writable } from 'node:stream';

const LEVELS: Record<number, string> = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };

/** Whether this process writes readable lines rather than JSON. */
export function readableLogs(env: NodeJS.ProcessEnv = process.env, tty = !!process.stdout.isTTY): boolean {
  const format = env.CORTEX_LOG_FORMAT;
  return format === 'pretty' || (format !== 'json' && tty);
}

type Line = Record<string, unknown>;

const keep = (v: unknown) => v !== undefined && v !== null && v !== '';

/** One JSON log line as a readable line (the JSON itself when it is not a log line). */
export function readableLine(json: string): string {
  let o: Line;
  try {
    o = JSON.parse(json) as Line;
  } catch {
    return json;
  }
  const time = typeof o.time === 'string' ? o.time.slice(11, 19) : '';
  const level = LEVELS[o.level as number] ?? String(o.level ?? '');
  const head = [time, o.app, level === 'info' ? '' : level].filter(keep).join(' ');
  if (o.msg !== 'request') {
    const extra = Object.entries(o)
      .filter(([k]) => !['time', 'app', 'level', 'msg', 'pid', 'hostname', 'request_id'].includes(k))
      .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`);
    return [head, o.msg, ...extra].filter(keep).join(' ');
  }
  const tokens =
    typeof o.prompt_tokens === 'number' ? `tokens ${o.prompt_tokens}→${String(o.completion_tokens ?? '?')}` : '';
  const parts = [
    head,
    o.method,
    o.route,
    o.status,
    typeof o.duration_ms === 'number' ? `${Math.round(o.duration_ms)} ms` : '',
    o.model ? `${String(o.model)}${o.node ? `@${String(o.node)}` : ''}` : '',
    o.cold_start ? 'cold start' : '',
    tokens,
    typeof o.ttft_ms === 'number' ? `ttft ${o.ttft_ms} ms` : '',
    o.error ? `error ${String(o.error)}` : '',
    o.client_gone ? 'client gone' : '',
  ];
  return parts.filter(keep).join(' ');
}

/** A stream pino writes JSON lines into and that writes readable lines to `out`. */
export function readableStream(out: NodeJS.WritableStream = process.stdout): Writable {
  let rest = '';
  return new Writable({
    write(chunk: Buffer | string, _enc, done) {
      const text = rest + chunk.toString();
      const lines = text.split('\n');
      rest = lines.pop() ?? '';
      const readable = lines.filter(Boolean).map(readableLine);
      if (readable.length) out.write(`${readable.join('\n')}\n`);
      done();
    },
  });
}
