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
export const CORTEX_VERSION = '0.1.0';
export * from './app-entry';
export * from './quiet-logger';
export * from './http';
export * from './errors';
export * from './contract';
