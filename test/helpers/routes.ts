/**
 * Every HTTP route of the gateway and the neuron, with its dialect and who may call it, for the
 * hostile-input suite and the auth matrix. `declaredRoutes` reads the controllers' decorators, so a
 * route added without a line here fails the suites instead of going untested.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

export type Dialect = 'openai' | 'anthropic' | 'probe';
/** public: anyone; api: API keys; admin: admin keys (gateway) ; token: the neuron's token */
export type Access = 'public' | 'api' | 'admin' | 'token';

export interface RouteSpec {
  method: 'GET' | 'POST' | 'HEAD' | 'DELETE';
  path: string;
  dialect: Dialect;
  access: Access;
}

export const GATEWAY_ROUTES: RouteSpec[] = [
  { method: 'HEAD', path: '/', dialect: 'probe', access: 'public' },
  { method: 'GET', path: '/', dialect: 'probe', access: 'public' },
  { method: 'GET', path: '/health', dialect: 'probe', access: 'public' },
  { method: 'GET', path: '/version', dialect: 'probe', access: 'public' },
  { method: 'GET', path: '/livez', dialect: 'probe', access: 'public' },
  { method: 'GET', path: '/readyz', dialect: 'probe', access: 'public' },
  { method: 'GET', path: '/v1/models', dialect: 'openai', access: 'api' },
  { method: 'POST', path: '/v1/chat/completions', dialect: 'openai', access: 'api' },
  { method: 'POST', path: '/v1/completions', dialect: 'openai', access: 'api' },
  { method: 'POST', path: '/v1/embeddings', dialect: 'openai', access: 'api' },
  { method: 'POST', path: '/v1/responses', dialect: 'openai', access: 'api' },
  { method: 'GET', path: '/v1/responses/:id', dialect: 'openai', access: 'api' },
  { method: 'GET', path: '/v1/responses/:id/input_items', dialect: 'openai', access: 'api' },
  { method: 'DELETE', path: '/v1/responses/:id', dialect: 'openai', access: 'api' },
  { method: 'POST', path: '/v1/messages', dialect: 'anthropic', access: 'api' },
  { method: 'POST', path: '/v1/messages/count_tokens', dialect: 'anthropic', access: 'api' },
  { method: 'GET', path: '/admin/fleet', dialect: 'openai', access: 'admin' },
  { method: 'GET', path: '/admin/requests', dialect: 'openai', access: 'admin' },
  { method: 'GET', path: '/admin/usage', dialect: 'openai', access: 'admin' },
  { method: 'GET', path: '/admin/budgets', dialect: 'openai', access: 'admin' },
  { method: 'POST', path: '/admin/models/load', dialect: 'openai', access: 'admin' },
  { method: 'POST', path: '/admin/models/place', dialect: 'openai', access: 'admin' },
  { method: 'POST', path: '/admin/models/unload', dialect: 'openai', access: 'admin' },
  { method: 'POST', path: '/admin/models/pin', dialect: 'openai', access: 'admin' },
  { method: 'POST', path: '/admin/models/unpin', dialect: 'openai', access: 'admin' },
];

export const NEURON_ROUTES: RouteSpec[] = [
  { method: 'GET', path: '/livez', dialect: 'probe', access: 'public' },
  { method: 'GET', path: '/readyz', dialect: 'probe', access: 'public' },
  { method: 'GET', path: '/health', dialect: 'openai', access: 'token' },
  { method: 'GET', path: '/discovery', dialect: 'openai', access: 'token' },
  { method: 'GET', path: '/version', dialect: 'openai', access: 'token' },
  { method: 'GET', path: '/metrics', dialect: 'openai', access: 'token' },
  { method: 'GET', path: '/models', dialect: 'openai', access: 'token' },
  { method: 'POST', path: '/models/load', dialect: 'openai', access: 'token' },
  { method: 'POST', path: '/models/unload', dialect: 'openai', access: 'token' },
  { method: 'POST', path: '/models/pin', dialect: 'openai', access: 'token' },
  { method: 'POST', path: '/models/estimate', dialect: 'openai', access: 'token' },
  { method: 'POST', path: '/devices/:id/recycle', dialect: 'openai', access: 'token' },
  { method: 'GET', path: '/v1/models', dialect: 'openai', access: 'token' },
  { method: 'POST', path: '/v1/chat/completions', dialect: 'openai', access: 'token' },
  { method: 'POST', path: '/v1/completions', dialect: 'openai', access: 'token' },
  { method: 'POST', path: '/v1/embeddings', dialect: 'openai', access: 'token' },
  { method: 'POST', path: '/v1/tokenize', dialect: 'openai', access: 'token' },
];

/** Routes on the gateway's metrics port (metrics_listen), behind gateway.metrics_token when set. */
export const GATEWAY_METRICS_ROUTES: RouteSpec[] = [
  { method: 'GET', path: '/prometheus/neurons', dialect: 'openai', access: 'public' },
  { method: 'GET', path: '/neurons/:name/metrics', dialect: 'openai', access: 'public' },
];

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.controller.ts') ? [p] : [];
  });
}

/** "METHOD /path" of every route the app's controllers declare (from their decorators). */
export function declaredRoutes(app: 'gateway' | 'neuron'): string[] {
  const out: string[] = [];
  for (const file of files(resolve(__dirname, '../../apps', app, 'src'))) {
    const src = readFileSync(file, 'utf8');
    const base = /@Controller\(\s*'?([^')]*)'?\s*\)/.exec(src)?.[1] ?? '';
    for (const m of src.matchAll(/@(Get|Post|Head|Delete)\(\s*'?([^')]*)'?\s*\)/g)) {
      const path = '/' + [base, m[2]].filter(Boolean).join('/');
      out.push(`${m[1]!.toUpperCase()} ${path}`);
    }
  }
  return out.sort();
}

export const routeKey = (r: RouteSpec) => `${r.method} ${r.path}`;
