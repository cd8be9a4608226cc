/**
 * cortex.toml: the gateway's own config. Defaults are the initialisers below and are documented in
 * docs/configuration.md; test/fixtures/cortex.toml shows every key.
 */
import 'reflect-metadata';
import { Type } from 'class-transformer';
import { IsOptional, ValidateNested } from 'class-validator';
import { IntAtLeast, IsBool, IsHostPort, IsHttpUrl, IsNonEmptyString, IsTableList, OneOf, duplicates } from './expect';

export const EVICTION_STRATEGIES = ['lru', 'priority'] as const;
export type EvictionStrategy = (typeof EVICTION_STRATEGIES)[number];

export class GatewaySection {
  /** OpenAI + Anthropic API listener. */
  @IsHostPort() listen = '0.0.0.0:31313';
  /** Prometheus `/metrics` listener (nothing else is served there). */
  @IsHostPort() metrics_listen = '0.0.0.0:31314';
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

export class AuthKey {
  @IsNonEmptyString() key!: string;
  @IsNonEmptyString() account_id!: string;
  /** Label for metrics and logs; defaults to account_id (the secret is never a label). */
  @IsOptional() @IsNonEmptyString() key_id?: string;
}

export class AuthSection {
  /** When false, requests without a key (or with an unknown key) are served anonymously. */
  @IsBool() require_auth = false;
  @IsTableList() @ValidateNested({ each: true }) @Type(() => AuthKey) keys: AuthKey[] = [];
}

export class PollerSection {
  @IntAtLeast(100) interval_ms = 2000;
  @IntAtLeast(50) timeout_ms = 2000;
  /** Consecutive failed polls before a neuron is marked unhealthy. */
  @IntAtLeast(1) unhealthy_after = 3;
}

export class CortexConfig {
  /** Path of models.toml, relative to cortex.toml; unset = no catalogue (only what neurons hold). */
  @IsOptional() @IsNonEmptyString() models_config?: string;
  @ValidateNested() @Type(() => GatewaySection) gateway = new GatewaySection();
  @ValidateNested() @Type(() => EvictionSection) eviction = new EvictionSection();
  @IsTableList() @ValidateNested({ each: true }) @Type(() => NeuronEntry) neurons: NeuronEntry[] = [];
  @ValidateNested() @Type(() => AuthSection) auth = new AuthSection();
  @ValidateNested() @Type(() => PollerSection) poller = new PollerSection();

  crossCheck(): string[] {
    const issues = duplicates(this.neurons.map((n) => n.name)).map((n) => `neurons: duplicate name "${n}"`);
    issues.push(...duplicates(this.auth.keys.map((k) => k.key)).map(() => 'auth.keys: duplicate key'));
    if (this.auth.require_auth && this.auth.keys.length === 0) {
      issues.push('auth.require_auth: expected at least one [[auth.keys]] entry when true, got none');
    }
    return issues;
  }
}
