import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { anthropicToOpenAI, responsesToOpenAI } from '@app/translate';
import { digest, sessionKeyOf } from './session-key';

const clients = resolve(__dirname, '../../../../test/fixtures/clients');
const recorded = (f: string) =>
  JSON.parse(readFileSync(resolve(clients, f), 'utf8')) as {
    headers: Record<string, string>;
    body: Record<string, unknown>;
  };

describe('sessionKeyOf', () => {
  it('takes the client’s own session headers first, in order', () => {
    const body = { messages: [{ role: 'user', content: 'x' }], prompt_cache_key: 'k' };
    expect(sessionKeyOf({ 'x-session-affinity': 'a', 'x-session-id': 'b' }, body)).toBe(digest('h:a'));
    expect(sessionKeyOf({ 'x-session-id': 'b', 'x-claude-code-session-id': 'c' }, body)).toBe(digest('h:b'));
    expect(sessionKeyOf({ 'session-id': 'd' }, body)).toBe(digest('h:d'));
    expect(sessionKeyOf({}, body)).toBe(digest('k:k'));
  });

  it('reads every recorded client’s session: opencode, Claude Code, Codex', () => {
    const opencode = recorded('opencode-1.18.33-chat.json');
    expect(sessionKeyOf(opencode.headers, opencode.body)).toBe(digest(`h:${opencode.headers['x-session-affinity']}`));
    const claude = recorded('claude-code-2.1.197-messages.json');
    const { request } = anthropicToOpenAI(claude.body);
    const sid = (JSON.parse(String((claude.body.metadata as { user_id: string }).user_id)) as { session_id: string })
      .session_id;
    expect(sessionKeyOf(claude.headers, request as never)).toBe(
      digest(`h:${claude.headers['x-claude-code-session-id']}`),
    );
    expect(sessionKeyOf({}, request as never)).toBe(digest(`h:${sid}`));
    const codex = recorded('codex-0.169.0-responses.json');
    const chat = responsesToOpenAI(codex.body).request;
    expect(sessionKeyOf(codex.headers, chat as never)).toBe(digest(`h:${codex.headers['session-id']}`));
    expect(sessionKeyOf({}, chat as never)).toBe(digest(`k:${codex.body.prompt_cache_key}`));
  });

  it('falls back to the conversation’s opening, which every later turn repeats', () => {
    const turn1 = {
      messages: [
        { role: 'system', content: 's' },
        { role: 'user', content: 'hi' },
      ],
    };
    const turn2 = {
      messages: [...turn1.messages, { role: 'assistant', content: 'yo' }, { role: 'user', content: 'more' }],
    };
    const other = {
      messages: [
        { role: 'system', content: 's' },
        { role: 'user', content: 'bye' },
      ],
    };
    expect(sessionKeyOf({}, turn1)).toBe(sessionKeyOf({}, turn2));
    expect(sessionKeyOf({}, turn1)).not.toBe(sessionKeyOf({}, other));
    expect(sessionKeyOf({}, { prompt: 'x' })).toBeNull();
    expect(sessionKeyOf({}, turn1)).toMatch(/^[0-9a-f]{32}$/);
  });
});
