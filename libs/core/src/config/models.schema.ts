/**
 * models.toml: the catalogue of models the gateway may place on neurons, and aliases for them.
 */
import 'reflect-metadata';
import { Type } from 'class-transformer';
import { IsOptional, ValidateNested } from 'class-validator';
import {
  EachOneOf,
  IsBool,
  IntAtLeast,
  IsModelSource,
  IsNonEmptyString,
  IsStringList,
  IsStringMap,
  IsTableList,
  duplicates,
} from './expect';

/** What a catalogue entry may claim: what neurons serve today. */
export const CAPABILITIES = ['text', 'tools', 'embeddings', 'reasoning'] as const;
export type Capability = (typeof CAPABILITIES)[number];
/** Claims neurons cannot honour yet: refused with a reason instead of advertised and then refused per request. */
const NOT_YET: Record<string, string> = {
  vision: 'neurons do not serve images yet (they answer image parts with 400 vision_unsupported); remove it',
};

/** Residency priority when none is set: pinned models default high so they are rarely displaced. */
export const DEFAULT_PRIORITY = 100;
export const DEFAULT_PINNED_PRIORITY = 1000;

export class ModelEntry {
  @IsNonEmptyString() id!: string;
  /** A path inside the neuron's models dir, `hf:org/repo/file.gguf`, or an `https://` URL. */
  @IsModelSource() source!: string;
  /** VRAM estimate for placement; the neuron's GGUF estimate is used when unset. */
  @IsOptional() @IntAtLeast(0) vram_mb?: number;
  /** The context to serve; unset: the largest that fits where it is placed, up to its trained context. */
  @IsOptional() @IntAtLeast(16) context_size?: number;
  /** Without context_size: the least context it may be loaded with (the neuron's min_context when unset). */
  @IsOptional() @IntAtLeast(16) min_context?: number;
  @IsOptional() @IntAtLeast(1) max_in_flight?: number;
  /** Only these neurons may hold the model. */
  @IsOptional() @IsStringList() pinned_on?: string[];
  @IsOptional() @IntAtLeast(0) residency_priority?: number;
  /** Devices one worker holds it across (a device group on one neuron), each ≥ min_device_vram_mb. */
  @IsOptional() @IntAtLeast(1) min_devices?: number;
  @IsOptional() @IntAtLeast(0) min_device_vram_mb?: number;
  @IsOptional() @EachOneOf([...CAPABILITIES, ...Object.keys(NOT_YET)]) capabilities?: Capability[];
  /** Unload after this many idle seconds; overrides eviction.idle_unload_after_s. */
  @IsOptional() @IntAtLeast(0) ttl_s?: number;
  /** false: a stream cut by a neuron fault ends with the error instead of continuing on another replica. */
  @IsOptional() @IsBool() resume?: boolean;
}

export class ModelsConfig {
  @IsTableList() @ValidateNested({ each: true }) @Type(() => ModelEntry) models: ModelEntry[] = [];
  @IsStringMap() aliases: Record<string, string> = {};

  crossCheck(): string[] {
    const ids = this.models.map((m) => m.id);
    const issues = duplicates(ids).map((id) => `models: duplicate id "${id}"`);
    this.models.forEach((m, i) => {
      for (const c of (m.capabilities ?? []) as string[])
        if (NOT_YET[c]) issues.push(`models[${i}].capabilities: "${c}": ${NOT_YET[c]}`);
    });
    for (const [alias, target] of Object.entries(this.aliases)) {
      if (!ids.includes(target))
        issues.push(`aliases.${alias}: expected the id of a [[models]] entry, got "${target}"`);
      if (ids.includes(alias)) issues.push(`aliases.${alias}: expected a name that is not also a model id`);
    }
    return issues;
  }
}

export function residencyPriority(m: Pick<ModelEntry, 'residency_priority' | 'pinned_on'>): number {
  return m.residency_priority ?? (m.pinned_on?.length ? DEFAULT_PINNED_PRIORITY : DEFAULT_PRIORITY);
}
