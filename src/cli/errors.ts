/**
 * Errors meant for a person at a terminal: one line that says what was wrong and what to do,
 * printed without a stack trace, and a non-zero exit code.
 */
export class UsageError extends Error {
  override name = "UsageError";
  /** Exit code: 2 for bad usage (flags, files), 1 for a failed run. */
  constructor(
    message: string,
    readonly exitCode = 2,
  ) {
    super(message);
  }
}
