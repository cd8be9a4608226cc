/**
 * Environment overrides for config files (`CORTEX_GATEWAY__LISTEN=…`, `NEURON_ADMISSION__MAX_IN_FLIGHT=4`):
 * `__` separates nesting levels, numeric segments index arrays, and values are read as TOML values
 * when they parse as one (numbers, booleans, arrays), else as strings. Containers configure this way.
 */
import { parse } from 'smol-toml';
import { closest } from 'fastest-levenshtein';

export interface EnvOverrideResult {
  data: Record<string, unknown>;
  issues: string[];
}

function parseValue(raw: string): unknown {
  try {
    return parse(`v = ${raw}`)['v'];
  } catch {
    return raw;
  }
}

/**
 * Applies every `<prefix><KEY>[__<KEY>…]` variable whose first key is one of `topLevelKeys`.
 * Variables with `__` whose first key is unknown are reported (a likely typo); others are left alone,
 * since the same prefix also names unrelated knobs (CORTEX_NEURON_FAULTS).
 */
export function applyEnvOverrides(
  data: Record<string, unknown>,
  prefix: string,
  env: Record<string, string | undefined>,
  topLevelKeys: readonly string[],
): EnvOverrideResult {
  const issues: string[] = [];
  for (const [name, raw] of Object.entries(env).sort(([a], [b]) => a.localeCompare(b))) {
    if (!name.startsWith(prefix) || raw === undefined) continue;
    const path = name.slice(prefix.length).toLowerCase().split('__');
    if (!topLevelKeys.includes(path[0]!)) {
      if (path.length > 1) {
        const hint = closest(path[0]!, [...topLevelKeys]);
        issues.push(`environment ${name}: unknown key "${path[0]}"; did you mean "${hint}"?`);
      }
      continue;
    }
    setPath(data, path, parseValue(raw));
  }
  return { data, issues };
}

function setPath(root: Record<string, unknown>, path: string[], value: unknown): void {
  let node: Record<string, unknown> = root;
  path.slice(0, -1).forEach((key, i) => {
    const nextIsIndex = /^\d+$/.test(path[i + 1]!);
    const existing = node[key];
    if (typeof existing !== 'object' || existing === null) node[key] = nextIsIndex ? [] : {};
    node = node[key] as Record<string, unknown>;
  });
  node[path[path.length - 1]!] = value;
}
