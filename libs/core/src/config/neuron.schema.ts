/**
 * neuron.toml: one neuron (GPU host). Defaults are the initialisers below; docs/configuration.md
 * documents them and test/fixtures/neuron.toml shows every key.
 */
import 'reflect-metadata';
import { availableParallelism, hostname } from 'node:os';
import { Type } from 'class-transformer';
import { IsOptional, ValidateNested } from 'class-validator';
import { isLoopbackHost } from '../http/bearer';
import { LimitsSection } from './limits.schema';
import {
  IntAtLeast,
  IsBool,
  IsDeviceList,
  IsMemoryBudget,
  IsHostList,
  IsHttpUrl,
  IsHostPort,
  IsModelSource,
  IsNonEmptyString,
  IsTableList,
  duplicates,
  parseHostPort,
} from './expect';

/** The least context worth loading a model with: agents' first requests are 15–30k tokens. */
export const DEFAULT_MIN_CONTEXT = 16384;

/** Default admission.max_in_flight per device kind (see AdmissionSection.max_in_flight). */
export const DEFAULT_MAX_IN_FLIGHT = { cpu: 1, cuda: 8 } as const;

export type DeviceSelector = 'auto' | Array<'cpu' | number>;

export class AdmissionSection {
  /**
   * Concurrent generations per model (sequences sharing its context's batches). Unset: 1 on CPU and
   * 8 on CUDA devices (DEFAULT_MAX_IN_FLIGHT). On CPU a second stream costs more than it gives
   * (0.6-0.9× aggregate at 2, as in native llama.cpp); on GPUs native llama.cpp scales 4.9× at 8
   * sequences and, with patches/node-llama-cpp+3.21.1.patch, node-llama-cpp tracks native batching
   * (0.94× on CPU). GPU figures for cortex itself are still to be measured (docs/engine-throughput.md).
   */
  @IsOptional() @IntAtLeast(1) max_in_flight?: number;
  /** Requests allowed to wait for a seat, per account (fair share); more get 429. */
  @IntAtLeast(0) max_queue_depth = 16;
  /**
   * Longest wait for a seat before 503. As long as the OpenAI and Anthropic SDKs wait for an answer
   * (10 minutes): a queued stream gets pings meanwhile, and an agent's second request (a title, a
   * sub-agent) waits behind a long generation instead of failing.
   */
  @IntAtLeast(1) max_wait_s = 600;
  /**
   * Fair share without preemption: for this long after an account's last request ended, its share
   * of the seats (seats × share / the active accounts' shares) stays free for its next one, and an
   * account already at its own share cannot fill it. A tenant that works in turns then finds its
   * seat free instead of waiting behind another's long generations. 0: a free seat goes to whoever
   * waits. Only accounts the gateway vouches for (the neuron's `token`) hold seats.
   */
  @IntAtLeast(0) share_hold_ms = 1000;
}

/** Agent sessions' KV caches (docs/sessions.md). */
export class SessionsSection {
  /**
   * KV sequences per model beyond its seats: an idle session keeps its prompt prefix in one, so its
   * next turn evaluates only what is new. Each costs one context's KV memory (counted in estimates).
   */
  @IntAtLeast(0) idle_sequences = 2;
  /** Host-RAM tier per device worker: sequences' saved states, restored when their session returns. 0 = off. */
  @IntAtLeast(0) host_cache_mb = 1024;
  /** Only a prefix at least this long (tokens) is worth saving. */
  @IntAtLeast(1) min_saved_tokens = 256;
}

export class PreloadEntry {
  @IsNonEmptyString() id!: string;
  @IsModelSource() source!: string;
  @IsOptional() @IntAtLeast(16) context_size?: number;
  @IsOptional() @IntAtLeast(16) min_context?: number;
  @IsOptional() @IntAtLeast(1) max_in_flight?: number;
  /** Device id such as "cpu" or "cuda-0"; the freest device when unset. */
  @IsOptional() @IsNonEmptyString() device?: string;
}

/** `[downloads]`: remote model sources (`hf:`, `https://`) are off unless enabled here. */
export class DownloadsSection {
  @IsBool() enabled = false;
  /** Hosts a source URL may name (the Hugging Face endpoint's host for `hf:` sources). */
  @IsHostList() allowed_hosts: string[] = ['huggingface.co'];
  @IntAtLeast(1) max_size_mb = 200 * 1024;
  /** A whole download, and a download that receives nothing for stall_timeout_s, is stopped. */
  @IntAtLeast(1) timeout_s = 4 * 3600;
  @IntAtLeast(1) stall_timeout_s = 60;
  /** Where `hf:` sources resolve; HF_ENDPOINT, else https://huggingface.co, when unset. */
  @IsOptional() @IsHttpUrl() hf_endpoint?: string;
}

/** One thread per two cores: llama.cpp's spinning threads collapse when oversubscribed. */
export const defaultThreads = (): number => Math.max(1, Math.floor(availableParallelism() / 2));

export class NeuronConfig {
  /** Off loopback it needs `token` (or allow_unauthenticated = true). */
  @IsHostPort() listen = '127.0.0.1:13131';
  @IsNonEmptyString() name = hostname();
  /** Where model files live and downloads land, relative to neuron.toml. */
  @IsNonEmptyString() models_dir = 'models';
  @IsDeviceList() devices: DeviceSelector = 'auto';
  /**
   * Memory budget reported for CPU devices, in MB (the gateway places models against it): one for
   * all, or a list with one per CPU device (pseudo-devices with their own budgets); the machine's RAM
   * when unset. GPUs report their real VRAM.
   */
  @IsOptional() @IsMemoryBudget() cpu_memory_mb?: number | number[];
  /**
   * A model loaded without context_size gets the largest context that fits its device's free memory,
   * up to its trained context; the load is refused when not even min(trained, min_context) fits.
   */
  @IntAtLeast(16) min_context = DEFAULT_MIN_CONTEXT;
  /** llama.cpp threads per device worker. */
  @IntAtLeast(1) threads = defaultThreads();
  /** When set, every route but /livez and /readyz needs `Authorization: Bearer <token>`. */
  @IsOptional() @IsNonEmptyString() token?: string;
  /** Explicitly listen off loopback without a token. */
  @IsBool() allow_unauthenticated = false;
  /** No token for this long during a generation counts as a hung device. */
  @IntAtLeast(1) step_timeout_s = 60;
  /** On SIGTERM, how long in-flight requests may finish before the workers stop. */
  @IntAtLeast(0) drain_timeout_s = 10;
  @ValidateNested() @Type(() => AdmissionSection) admission = new AdmissionSection();
  @IsTableList() @ValidateNested({ each: true }) @Type(() => PreloadEntry) preload: PreloadEntry[] = [];
  @ValidateNested() @Type(() => LimitsSection) limits = new LimitsSection();
  @ValidateNested() @Type(() => DownloadsSection) downloads = new DownloadsSection();
  @ValidateNested() @Type(() => SessionsSection) sessions = new SessionsSection();

  crossCheck(): string[] {
    const issues = duplicates(this.preload.map((p) => p.id)).map((id) => `preload: duplicate id "${id}"`);
    const cpus = this.devices === 'auto' ? 1 : this.devices.filter((d) => d === 'cpu').length;
    if (Array.isArray(this.cpu_memory_mb) && this.cpu_memory_mb.length !== cpus)
      issues.push(
        `cpu_memory_mb: lists ${this.cpu_memory_mb.length} budget(s) but devices has ${cpus} CPU device(s); give one per CPU device, or one number for all`,
      );
    const host = parseHostPort(this.listen).host;
    if (!isLoopbackHost(host) && !this.token && !this.allow_unauthenticated) {
      issues.push(
        `listen: "${this.listen}" is reachable from other machines, so it needs a token: set token ` +
          '(NEURON_TOKEN) and give the gateway the same one, or allow_unauthenticated = true',
      );
    }
    return issues;
  }
}
