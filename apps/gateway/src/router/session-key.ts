/**
 * The session a request belongs to, so an agent's next turn lands where its prompt prefix is still
 * in a KV cache. Taken, in order, from what clients already send: opencode's x-session-affinity and
 * x-session-id, Claude Code's x-claude-code-session-id (and the session_id inside its
 * metadata.user_id), Codex's session-id header and prompt_cache_key; else a hash of the system prompt
 * and the first user message, which every turn of a conversation repeats. Hashed before it leaves the
 * gateway: neurons and their /models only ever see the digest.
 */
import { createHash } from 'node:crypto';

type Headers = Record<string, string | string[] | undefined>;

const HEADERS = ['x-session-affinity', 'x-session-id', 'x-claude-code-session-id', 'session_id', 'session-id'];

export function digest(key: string): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 32);
}

function header(h: Headers, name: string): string | undefined {
  const v = h[name];
  const s = Array.isArray(v) ? v[0] : v;
  return typeof s === 'string' && s.length > 0 && s.length <= 512 ? s : undefined;
}

/** Claude Code's metadata.user_id is a JSON string holding session_id (arrives here as the chat `user`). */
function sessionInUser(user: unknown): string | undefined {
  if (typeof user !== 'string' || !user.startsWith('{') || user.length > 4096) return undefined;
  try {
    const v = (JSON.parse(user) as { session_id?: unknown }).session_id;
    return typeof v === 'string' && v ? v : undefined;
  } catch {
    return undefined;
  }
}

/** The opening of a chat conversation: its first system text and first user message. */
function opening(messages: unknown): string | undefined {
  if (!Array.isArray(messages)) return undefined;
  const first = (role: string[]) =>
    (messages as Array<{ role?: unknown; content?: unknown }>).find((m) => role.includes(String(m?.role)))?.content;
  const user = first(['user']);
  if (user === undefined) return undefined;
  return JSON.stringify([first(['system', 'developer']) ?? null, user]);
}

/** The hashed session key of an OpenAI chat (or completion) body and its headers; null when none can be told. */
export function sessionKeyOf(headers: Headers, request: object): string | null {
  const body = request as { prompt_cache_key?: unknown; user?: unknown; messages?: unknown };
  for (const name of HEADERS) {
    const v = header(headers, name);
    if (v) return digest(`h:${v}`);
  }
  if (typeof body.prompt_cache_key === 'string' && body.prompt_cache_key) return digest(`k:${body.prompt_cache_key}`);
  const inUser = sessionInUser(body.user);
  if (inUser) return digest(`h:${inUser}`);
  const open = opening(body.messages);
  return open ? digest(`o:${open}`) : null;
}
