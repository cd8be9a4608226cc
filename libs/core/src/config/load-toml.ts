/**
 * Reads a TOML config file into a validated class instance: smol-toml parses, environment overrides
 * apply, class-transformer builds the typed object (defaults are the class's initialisers) and
 * class-validator checks it. Every failure becomes one ConfigError naming the file and keys.
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { ClassConstructor, plainToInstance } from 'class-transformer';
import { getMetadataStorage, validateSync } from 'class-validator';
import { TomlError, parse } from 'smol-toml';
import { ConfigError } from './config-error';
import { applyEnvOverrides } from './env-overrides';
import { flattenValidationErrors } from './validation-messages';

export interface LoadOptions {
  /** Prefix of environment overrides, e.g. `CORTEX_`; none when omitted. */
  envPrefix?: string;
  env?: Record<string, string | undefined>;
  /** Name used in messages; the file's base name by default. */
  label?: string;
}

/** A schema may add checks that span keys (unique names, alias targets); each returns `path: message`. */
export interface CrossChecked {
  crossCheck?(): string[];
}

export function parseToml<T extends object>(
  text: string,
  schema: ClassConstructor<T>,
  label: string,
  opts: Omit<LoadOptions, 'label'> = {},
): T {
  let data: Record<string, unknown>;
  try {
    data = parse(text) as Record<string, unknown>;
  } catch (err) {
    const where = err instanceof TomlError ? ` at line ${err.line}, column ${err.column}` : '';
    const first = (err as Error).message.split('\n')[0];
    throw new ConfigError(label, [`invalid TOML${where}: ${first}`], true);
  }
  const issues: string[] = [];
  if (opts.envPrefix) {
    const topLevel = getMetadataStorage()
      .getTargetValidationMetadatas(schema, '', true, false)
      .map((m) => m.propertyName);
    issues.push(...applyEnvOverrides(data, opts.envPrefix, opts.env ?? process.env, topLevel).issues);
  }
  const instance = plainToInstance(schema, data, { enableImplicitConversion: false });
  const errors = validateSync(instance, { whitelist: true, forbidNonWhitelisted: true, forbidUnknownValues: true });
  issues.push(...flattenValidationErrors(errors));
  try {
    issues.push(...((instance as CrossChecked).crossCheck?.() ?? []));
  } catch {
    // a cross-check that trips over a value already reported as invalid adds nothing
  }
  if (issues.length) throw new ConfigError(label, issues);
  return instance;
}

export function loadTomlFile<T extends object>(file: string, schema: ClassConstructor<T>, opts: LoadOptions = {}): T {
  const label = opts.label ?? basename(file);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'file not found' : `cannot read file (${code ?? (err as Error).message})`;
    throw new ConfigError(label, [`${why}: ${file}`], true);
  }
  return parseToml(text, schema, label, opts);
}
