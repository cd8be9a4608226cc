/**
 * cortex.toml: the gateway's own config. Defaults are the initialisers below and are documented in
 * docs/configuration.md; test/fixtures/cortex.toml shows every key.
 */
import 'reflect-metadata';
import { Type } from 'class-transformer';
import { IsOptional, ValidateNested } from 'class-validator';
import { parseHostPort } from './expect';
import {
  IntAtLeast,
  IsBool,
  IsHostPort,
  IsHttpUrl,
  IsNonEmptyString,
  IsOrigins,
  IsShare,
  IsTableList,
  OneOf,
  duplicates,
} from './expect';
import { LimitsSection } from './limits.schema';
import { isLoopbackHost } from '../http/bearer';

export const EVICTION_STRATEGIES = ['lru', 'priority'] as const;
export type EvictionStrategy = (typeof EVICTION_STRATEGIES)[number];

export class GatewaySection {
  /** OpenAI + Anthropic API listener; off loopback it needs auth.require_auth (or auth.allow_anonymous). */
  @IsHostPort() listen = '127.0.0.1:31313';
  /** Prometheus `/metrics` listener; off loopback it needs metrics_token (or metrics_public). */
  @IsHostPort() metrics_listen = '127.0.0.1:31314';
  /** Browser origins allowed to call the API (CORS); never applies to /admin. */
  @IsOrigins() cors_origins: string[] = [];
  /** On SIGTERM, how long in-flight requests may finish before the rest end with an error. */
  @IntAtLeast(0) drain_timeout_s = 30;
  /** Bearer token Prometheus must send to metrics_listen. */
  @IsOptional() @IsNonEmptyString() metrics_token?: string;
  /** Explicitly serve /metrics off loopback without a token. */
  @IsBool() metrics_public = false;
}

/** Deadlines of the gateway's calls to neurons. */
export class UpstreamSection {
  @IntAtLeast(100) connect_timeout_ms = 5000;
  /** Lifecycle and counting calls (unload, pin, recycle, tokenize, model lists). */
  @IntAtLeast(1) call_timeout_s = 30;
  /** A streaming request: until the neuron answers (it answers at once, then pings while queued). */
  @IntAtLeast(1) headers_timeout_s = 60;
  /** A non-streaming request: until the whole answer (it comes at the end of the generation). */
  @IntAtLeast(1) request_timeout_s = 900;
  /** A stream silent this long is dead (neurons ping every second). */
  @IntAtLeast(1) idle_timeout_s = 120;
  /** A whole cold load (evictions, download, load), however many requests wait for it. */
  @IntAtLeast(1) load_timeout_s = 1800;
}

export class EvictionSection {
  @OneOf(EVICTION_STRATEGIES) strategy: EvictionStrategy = 'lru';
  /** After this many load/unload cycles on a device, recycle its worker when idle; 0 = never. */
  @IntAtLeast(0) defrag_after_cycles = 0;
  /** Unload a model idle this long; 0 = never (per-model `ttl_s` wins). */
  @IntAtLeast(0) idle_unload_after_s = 0;
  /** A model loaded more recently than this is never evicted (stops swap storms). */
  @IntAtLeast(0) min_residency_s = 30;
}

export class NeuronEntry {
  @IsNonEmptyString() name!: string;
  @IsHttpUrl() endpoint!: string;
  /** Sent as `Authorization: Bearer` to the neuron's lifecycle routes. */
  @IsOptional() @IsNonEmptyString() token?: string;
}

export const BUDGET_WINDOWS = ['balance', 'rolling'] as const;

/** How a budget's cap applies: once (a hard balance), or again every `seconds` (a rolling window). */
export class BudgetWindow {
  @OneOf(BUDGET_WINDOWS) kind: (typeof BUDGET_WINDOWS)[number] = 'balance';
  /** The rolling window's length (rolling only). */
  @IsOptional() @IntAtLeast(1) seconds?: number;
}

/**
 * A token budget with reservations: each request reserves its prompt estimate + its max output
 * before it is sent, and settles with the usage it had (docs/multi-tenant.md).
 */
export abstract class Budgeted {
  /** Most tokens (prompt + completion) per window, or in all (a balance); unset = uncapped. */
  @IsOptional() @IntAtLeast(1) hard_cap?: number;
  @ValidateNested() @Type(() => BudgetWindow) window = new BudgetWindow();
}

export class AuthKey extends Budgeted {
  @IsNonEmptyString() key!: string;
  @IsNonEmptyString() account_id!: string;
  /** Label for metrics and logs; defaults to account_id (the secret is never a label). */
  @IsOptional() @IsNonEmptyString() key_id?: string;
  /** May use /admin (load, unload, pin). */
  @IsBool() admin = false;
  /**
   * The account's weight when neurons share their seats between accounts (fair share: an account
   * of share 2 gets two seats for every one of share 1 while both wait). Give an account's keys the
   * same share. Needs the neurons' `token` (they believe the gateway's word only then).
   */
  @IsShare() share = 1;
  /** Most requests of this key running at once (unset = no limit). */
  @IsOptional() @IntAtLeast(1) max_concurrent?: number;
  /** Most requests per minute (unset = no limit). */
  @IsOptional() @IntAtLeast(1) requests_per_minute?: number;
  /** Most tokens (prompt + completion) per minute, and per day (unset = no limit). */
  @IsOptional() @IntAtLeast(1) tokens_per_minute?: number;
  @IsOptional() @IntAtLeast(1) tokens_per_day?: number;
}

/** An account groups keys: its budget caps them all together (each key may have its own too). */
export class AuthAccount extends Budgeted {
  @IsNonEmptyString() account_id!: string;
}

export class AuthSection {
  /** When false, requests without a key (or with an unknown key) are served anonymously. */
  @IsBool() require_auth = false;
  /** Explicitly serve anonymous requests on a non-loopback listen address. */
  @IsBool() allow_anonymous = false;
  @IsTableList() @ValidateNested({ each: true }) @Type(() => AuthKey) keys: AuthKey[] = [];
  @IsTableList() @ValidateNested({ each: true }) @Type(() => AuthAccount) accounts: AuthAccount[] = [];
}

export class PollerSection {
  @IntAtLeast(100) interval_ms = 2000;
  @IntAtLeast(50) timeout_ms = 2000;
  /** Consecutive failed polls before a neuron is marked unhealthy. */
  @IntAtLeast(1) unhealthy_after = 3;
}

/** Session-affine routing: an agent's next turn goes where its prompt prefix is still cached. */
export class SessionsRoutingSection {
  @IsBool() affinity = true;
  /** The session's replica is kept unless it has this many more requests (running + queued) than the least busy. */
  @IntAtLeast(0) overload_margin = 2;
}

/** The Responses API's stored responses (previous_response_id, GET and DELETE); per gateway replica. */
export class ResponsesSection {
  /** Most responses kept; the least recently used go first. 0 keeps none (every request is stateless). */
  @IntAtLeast(0) store_max_entries = 1000;
  /** Most bytes (JSON) of stored responses and their input items. */
  @IntAtLeast(1) store_max_mb = 64;
  /** A stored response not used for this long is forgotten. */
  @IntAtLeast(1) store_ttl_s = 3600;
}

/**
 * An external entitlement authority (the reference cortex's upstream chain): keys cortex.toml does
 * not know are resolved by it, its principals' budgets are reserved, settled and released with it,
 * and served usage is reported to it. Every failure fails closed: 503 with Retry-After 5.
 */
export class AuthorityConfig {
  /** Base URL; cortex calls {url}/authz/v1/{resolve,reserve,settle,release,snapshot,served-usage}. */
  @IsHttpUrl() url!: string;
  /** Sent as `Authorization: Bearer` on every call. */
  @IsNonEmptyString() bearer!: string;
  /** Deadline of each call. */
  @IntAtLeast(10) timeout_ms = 5000;
  /** How long a resolved (or refused) key is remembered before it is asked again. */
  @IntAtLeast(0) cache_s = 30;
  /** How often served usage is reported (absolute counters per account, key and UTC day); 0 = never. */
  @IntAtLeast(0) served_usage_interval_s = 60;
}

export class EntitlementsSection {
  @IsOptional() @ValidateNested() @Type(() => AuthorityConfig) upstream?: AuthorityConfig;
}

export const FAIL_MODES = ['open', 'closed'] as const;
export type FailMode = (typeof FAIL_MODES)[number];

/** State several gateway replicas share (docs/multi-tenant.md); unset: each keeps its own, in memory. */
export class StateSection {
  /** redis://[user:password@]host:port[/db]; unset: in memory. */
  @IsOptional() @IsNonEmptyString() redis_url?: string;
  /** Deadline of each call to the store. */
  @IntAtLeast(10) timeout_ms = 500;
  /** With the store down, per-key limits are skipped with a warning ("open") or refuse with a 503 ("closed"). */
  @OneOf(FAIL_MODES) limits_when_down: FailMode = 'open';
  /** With the store down, budgeted requests refuse with a 503 ("closed") or go unmetered ("open"). */
  @OneOf(FAIL_MODES) budgets_when_down: FailMode = 'closed';
}

/** A stream whose neuron fails mid-answer continues on another replica (see docs/resume.md). */
export class ResumeSection {
  /** Resumes one request may take; 0 turns resuming off (the client gets the error frame at once). */
  @IntAtLeast(0) max_attempts = 1;
  /** How long a resume may take to find a replica and get its first byte before the stream ends with the error. */
  @IntAtLeast(1) deadline_s = 60;
}

export class CortexConfig {
  /** Path of models.toml, relative to cortex.toml; unset = no catalogue (only what neurons hold). */
  @IsOptional() @IsNonEmptyString() models_config?: string;
  @ValidateNested() @Type(() => GatewaySection) gateway = new GatewaySection();
  @ValidateNested() @Type(() => EvictionSection) eviction = new EvictionSection();
  @IsTableList() @ValidateNested({ each: true }) @Type(() => NeuronEntry) neurons: NeuronEntry[] = [];
  @ValidateNested() @Type(() => AuthSection) auth = new AuthSection();
  @ValidateNested() @Type(() => PollerSection) poller = new PollerSection();
  @ValidateNested() @Type(() => UpstreamSection) upstream = new UpstreamSection();
  @ValidateNested() @Type(() => LimitsSection) limits = new LimitsSection();
  @ValidateNested() @Type(() => ResponsesSection) responses = new ResponsesSection();
  @ValidateNested() @Type(() => SessionsRoutingSection) sessions = new SessionsRoutingSection();
  @ValidateNested() @Type(() => ResumeSection) resume = new ResumeSection();
  @ValidateNested() @Type(() => StateSection) state = new StateSection();
  @ValidateNested() @Type(() => EntitlementsSection) entitlements = new EntitlementsSection();

  crossCheck(): string[] {
    const issues = duplicates(this.neurons.map((n) => n.name)).map((n) => `neurons: duplicate name "${n}"`);
    issues.push(...duplicates(this.auth.keys.map((k) => k.key)).map(() => 'auth.keys: duplicate key'));
    if (this.auth.require_auth && this.auth.keys.length === 0) {
      issues.push('auth.require_auth: expected at least one [[auth.keys]] entry when true, got none');
    }
    issues.push(
      ...duplicates(this.auth.accounts.map((a) => a.account_id)).map(
        (a) => `auth.accounts: duplicate account_id "${a}"`,
      ),
    );
    for (const [path, b] of [
      ...this.auth.keys.map((k, i) => [`auth.keys[${i}]`, k] as const),
      ...this.auth.accounts.map((a, i) => [`auth.accounts[${i}]`, a] as const),
    ]) {
      if (b.window.kind === 'rolling' && !b.window.seconds)
        issues.push(`${path}.window.seconds: expected the rolling window's length in seconds, got nothing`);
      if (b.window.kind === 'balance' && b.window.seconds)
        issues.push(`${path}.window.seconds: a balance has no window; set kind = "rolling" or drop seconds`);
    }
    const redis = this.state.redis_url;
    if (redis !== undefined && !/^rediss?:\/\/[^\s/]+/.test(redis)) {
      issues.push('state.redis_url: expected redis://[user:password@]host:port[/db] (or rediss:// for TLS)');
    }
    return [...issues, ...this.exposureIssues()];
  }

  /** Every port that leaves loopback needs a credential, unless the operator opts out in writing. */
  private exposureIssues(): string[] {
    const issues: string[] = [];
    const api = parseHostPort(this.gateway.listen).host;
    if (!isLoopbackHost(api) && !this.auth.require_auth && !this.auth.allow_anonymous) {
      issues.push(
        `gateway.listen: "${this.gateway.listen}" is reachable from other machines, so it needs keys: set ` +
          'auth.require_auth = true with [[auth.keys]], or auth.allow_anonymous = true to serve anyone',
      );
    }
    const metrics = parseHostPort(this.gateway.metrics_listen).host;
    if (!isLoopbackHost(metrics) && !this.gateway.metrics_token && !this.gateway.metrics_public) {
      issues.push(
        `gateway.metrics_listen: "${this.gateway.metrics_listen}" is reachable from other machines, so it needs ` +
          'gateway.metrics_token, or gateway.metrics_public = true to serve metrics to anyone',
      );
    }
    return issues;
  }
}
