/**
 * The one error every config problem becomes: it names the file and lists each bad key with what was
 * expected, so the CLI can print it as-is instead of a stack trace.
 */
export class ConfigError extends Error {
  constructor(
    readonly file: string,
    readonly issues: readonly string[],
    /** The file could not be read or is not TOML at all (as opposed to valid TOML with bad values). */
    readonly unreadable = false,
  ) {
    super(issues.map((issue) => `${file}: ${issue}`).join('\n'));
    this.name = 'ConfigError';
  }
}
