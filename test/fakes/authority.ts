/**
 * A small entitlement authority for e2e specs, speaking the reference cortex's protocol
 * (/authz/v1/{resolve,reserve,settle,release,snapshot,served-usage} with a bearer): a few keys, a
 * balance per account with reservations, and switches to fail (HTTP 500), hang or answer garbage. It records every
 * call so a spec can check what the gateway asked.
 */
import { type IncomingMessage, type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface AuthorityCall {
  path: string;
  bearer: string | undefined;
  body: Record<string, unknown>;
}

export interface FakeAuthority {
  url: string;
  calls: AuthorityCall[];
  /** What each account has spent and holds. */
  ledger: Map<string, { cap: number; spent: number; reserved: Map<string, number> }>;
  /** ok; fail: HTTP 500; hang: never answers; garbage: 200 with a body that is not its protocol. */
  mode: 'ok' | 'fail' | 'hang' | 'garbage';
  close(): Promise<void>;
}

const KEYS: Record<string, { account_id: string; key_id: string }> = {
  'up-acme': { account_id: 'acme', key_id: 'acme-ci' },
  'up-poor': { account_id: 'poor', key_id: 'poor-1' },
  'up-busy': { account_id: 'busy', key_id: 'busy-1' },
};

async function read(req: IncomingMessage): Promise<Record<string, unknown>> {
  let text = '';
  for await (const c of req) text += String(c);
  return text ? (JSON.parse(text) as Record<string, unknown>) : {};
}

export async function startAuthority(bearer: string): Promise<FakeAuthority> {
  const a: FakeAuthority = {
    url: '',
    calls: [],
    ledger: new Map([
      ['acme', { cap: 10_000, spent: 0, reserved: new Map() }],
      ['poor', { cap: 10, spent: 10, reserved: new Map() }],
    ]),
    mode: 'ok',
    close: () => new Promise((r) => server.close(() => r())),
  };
  let next = 0;
  const server: Server = createServer((req, res) => {
    void (async () => {
      const body = await read(req);
      const path = (req.url ?? '').replace('/authz/v1/', '');
      a.calls.push({ path, bearer: req.headers.authorization, body });
      if (a.mode === 'hang') return; // never answers
      const send = (status: number, b: unknown) =>
        res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(b));
      if (a.mode === 'fail') return send(500, { error: 'down' });
      if (a.mode === 'garbage') return res.writeHead(200, { 'content-type': 'text/html' }).end('<html>');
      if (req.headers.authorization !== `Bearer ${bearer}`) return send(403, { error: 'bad bearer' });
      const owner = (id: unknown) => [...a.ledger.values()].find((l) => l.reserved.has(String(id)));
      switch (path) {
        case 'resolve': {
          const k = KEYS[String(body.api_key)];
          return k ? send(200, k) : send(401, { error: 'unknown key' });
        }
        case 'reserve': {
          if (body.account_id === 'busy')
            return send(200, {
              rejected: { kind: 'rate_limited', requested: body.max_tokens, available: 0, retry_after_secs: 7 },
            });
          const l = a.ledger.get(String(body.account_id))!;
          const need = Number(body.max_tokens);
          const available = l.cap - l.spent - [...l.reserved.values()].reduce((x, y) => x + y, 0);
          if (need > available)
            return send(200, { rejected: { kind: 'insufficient_quota', requested: need, available } });
          const id = `r-${++next}`;
          l.reserved.set(id, need);
          return send(200, { reservation_id: id });
        }
        case 'settle':
        case 'release': {
          const l = owner(body.reservation_id);
          l?.reserved.delete(String(body.reservation_id));
          if (l && path === 'settle') l.spent += Number(body.actual_tokens);
          return send(200, {});
        }
        case 'snapshot': {
          const l = a.ledger.get(String(body.account_id))!;
          return send(200, {
            hard_cap: l.cap,
            spent: l.spent,
            reserved: [...l.reserved.values()].reduce((x, y) => x + y, 0),
          });
        }
        case 'served-usage':
          return send(200, {});
        default:
          return send(404, {});
      }
    })();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  a.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return a;
}
