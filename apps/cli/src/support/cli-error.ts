/**
 * How the CLI reports failure: known user errors (bad config, bad flags) as one line and exit 2,
 * commander's own help/version exits untouched, anything else with its stack and exit 1.
 */
import { ConfigError } from '@app/core';

/** A mistake in what the user asked for; printed without a stack. */
export class UsageError extends Error {}

interface CommanderExit extends Error {
  code?: string;
  exitCode?: number;
}

export function reportCliError(err: Error): never {
  const c = err as CommanderExit;
  if (c.code?.startsWith('commander.')) process.exit(c.exitCode ?? 1);
  if (err instanceof ConfigError || err instanceof UsageError) {
    process.stderr.write(`cortex: ${err.message}\n`);
    process.exit(2);
  }
  process.stderr.write(`cortex: ${err.stack ?? err.message}\n`);
  process.exit(1);
}
