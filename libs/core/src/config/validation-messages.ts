/**
 * Turns class-validator's error tree into `key.path: expected …` lines, and unknown keys into
 * `unknown key "nuerons"; did you mean "neurons"?` using the schema's own property list.
 */
import { ValidationError, getMetadataStorage } from 'class-validator';
import { closest } from 'fastest-levenshtein';
import { show } from './expect';

function knownKeys(target: object | undefined): string[] {
  if (!target) return [];
  const metas = getMetadataStorage().getTargetValidationMetadatas(target.constructor, '', true, false);
  return [...new Set(metas.map((m) => m.propertyName))];
}

function join(parent: string, property: string): string {
  if (/^\d+$/.test(property)) return `${parent}[${property}]`;
  return parent ? `${parent}.${property}` : property;
}

export function flattenValidationErrors(errors: readonly ValidationError[], parent = ''): string[] {
  return errors.flatMap((error) => {
    const path = join(parent, error.property);
    const own = Object.entries(error.constraints ?? {}).map(([name, message]) => {
      if (name === 'nestedValidation') return `${path}: expected a table, got ${show(error.value)}`;
      if (name !== 'whitelistValidation') return `${path}: ${message}`;
      const keys = knownKeys(error.target);
      const hint = keys.length ? `; did you mean "${closest(error.property, keys)}"?` : '';
      const where = parent ? ` in ${parent}` : '';
      return `unknown key "${error.property}"${where}${hint}`;
    });
    // Report the first failing constraint per key only (the rest repeat it in other words), and a
    // key whose own shape is wrong without the noise of its children.
    if (own.length) return own.slice(0, 1);
    return flattenValidationErrors(error.children ?? [], path);
  });
}
