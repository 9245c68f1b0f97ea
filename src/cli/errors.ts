/**
 * Errors meant for a person at a terminal: one line that says what was wrong and what to do,
 * printed without a stack trace, and a non-zero exit code. `UsageError` is the command line's
 * own (a flag, a combination of flags); modules throw their own subclasses of `UserError`.
 */
import { UserError } from "../core/errors.js";

export { UserError };

export class UsageError extends UserError {
  override name = "UsageError";
}
