/**
 * A gateway failure with an ErrorKind (from @app/translate), an optional machine code and
 * Retry-After; filters render it in the caller's dialect.
 */
import { type ErrorKind, statusOf } from '@app/translate';

export class GatewayError extends Error {
  constructor(
    readonly kind: ErrorKind,
    message: string,
    readonly code: string | null = null,
    readonly param: string | null = null,
    readonly retryAfterS?: number,
    readonly statusOverride?: number,
  ) {
    super(message);
  }

  get status(): number {
    return this.statusOverride ?? statusOf(this.kind);
  }
}
