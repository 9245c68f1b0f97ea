/**
 * Bad input from a person: a flag, a file, a parameter, a model. The `tendon` command prints the
 * message as one line (what was wrong and what to do), never a stack trace, and exits with
 * `exitCode` (2: bad usage). Every module's input error extends this class, so the command line
 * needs one check, not one per module.
 */
export class UserError extends Error {
  override name = "UserError";
  /** Exit code: 2 for bad usage (flags, files), 1 for a run that cannot go on. */
  constructor(
    message: string,
    readonly exitCode = 2,
  ) {
    super(message);
  }
}
