/**
 * The closed list of error codes cortex answers with, shared by the gateway and the neuron, each
 * with the kind that decides its HTTP status and its envelope in every dialect. The gateway reads a
 * neuron's `error.code` against this list instead of searching response text.
 */
export type ErrorKind =
  | 'invalid_request'
  | 'auth'
  | 'permission'
  | 'not_found'
  | 'conflict'
  | 'too_large'
  | 'unsupported_media'
  | 'rate_limit'
  | 'quota'
  | 'overloaded'
  | 'upstream'
  | 'timeout'
  | 'internal';

export const ERROR_CODES = {
  // the request itself
  invalid_body: 'invalid_request',
  invalid_json: 'invalid_request',
  json_too_deep: 'invalid_request',
  forbidden_key: 'invalid_request',
  missing_model_field: 'invalid_request',
  context_length_exceeded: 'invalid_request',
  vision_unsupported: 'invalid_request',
  unsupported_feature: 'invalid_request',
  invalid_source: 'invalid_request',
  source_too_large: 'invalid_request',
  request_aborted: 'invalid_request',
  request_too_large: 'too_large',
  unsupported_media_type: 'unsupported_media',
  // who is asking
  invalid_api_key: 'auth',
  permission_denied: 'permission',
  remote_sources_disabled: 'permission',
  source_host_not_allowed: 'permission',
  // what is asked for
  not_found: 'not_found',
  model_not_found: 'not_found',
  device_not_found: 'not_found',
  model_busy: 'conflict',
  model_exists: 'conflict',
  load_in_progress: 'conflict',
  device_busy: 'conflict',
  // capacity and lifecycle (retry later)
  rate_limit_exceeded: 'rate_limit',
  insufficient_quota: 'quota',
  service_unavailable: 'overloaded',
  shutting_down: 'overloaded',
  queue_timeout: 'overloaded',
  insufficient_capacity: 'overloaded',
  model_loading: 'overloaded',
  model_unloading: 'overloaded',
  model_recovering: 'overloaded',
  device_fault: 'overloaded',
  device_recovering: 'overloaded',
  device_failed: 'overloaded',
  // between gateway and neuron
  upstream_connection_error: 'upstream',
  upstream_stream_error: 'upstream',
  upstream_error: 'upstream',
  cold_load_failed: 'upstream',
  download_failed: 'upstream',
  upstream_timeout: 'timeout',
  // bugs
  worker_error: 'internal',
  internal_error: 'internal',
} as const satisfies Record<string, ErrorKind>;

export type ErrorCode = keyof typeof ERROR_CODES;

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(ERROR_CODES, value);
}

export function kindOf(code: ErrorCode): ErrorKind {
  return ERROR_CODES[code];
}

/**
 * A neuron's answers that mean its device or process failed, not the request: an answer cut by one
 * of them may go on on another replica (the gateway's resume). Never a client error or a cancellation.
 */
export const FAULT_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'device_fault',
  'device_recovering',
  'device_failed',
  'model_recovering',
  'shutting_down',
]);
