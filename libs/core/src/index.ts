import { buildInfo } from './version/build-info';

export * from './config';
export * from './gguf';
export * from './ipc';
export { flattenValidationErrors } from './config/validation-messages';
export {
  show,
  expected,
  IntAtLeast,
  IsBool,
  IsNonEmptyString,
  IsTableList,
  IsStringList,
  OneOf,
  IsModelSource,
  customValidator,
} from './config/expect';
export * from './version/build-info';
/** The package version (package.json): what `cortex --version` and /version lead with. */
export const CORTEX_VERSION = buildInfo().version;
export * from './app-entry';
export * from './quiet-logger';
export * from './http';
export * from './errors';
export * from './contract';
