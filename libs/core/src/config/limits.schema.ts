/**
 * `[limits]` in cortex.toml and neuron.toml: what each HTTP server accepts and how long it waits.
 * Defaults are documented in docs/configuration.md and docs/security.md.
 */
import { IntAtLeast } from './expect';

export class LimitsSection {
  /** The whole request (headers and body) must arrive within this (slowloris). */
  @IntAtLeast(1) request_timeout_s = 30;
  /** A connection with no traffic either way this long is closed; non-streaming answers must come within it. */
  @IntAtLeast(1) idle_timeout_s = 900;
  /** Body limit of inference routes (images arrive base64 in the body); other routes take 64 KiB. */
  @IntAtLeast(1) body_max_mb = 32;
  /** Deepest JSON nesting accepted (real clients send at most ~13). */
  @IntAtLeast(8) json_max_depth = 64;
  /** A streaming client that takes nothing for this long is dropped and its generation stopped. */
  @IntAtLeast(1) stall_timeout_s = 30;
  /** A streaming client more than this far behind is dropped too. */
  @IntAtLeast(1) stall_buffer_mb = 8;
}
