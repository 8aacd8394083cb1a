import { UserError } from "../errors.js";

/** A mistake in how the command was called: printed as one line, exit code 2. */
export class UsageError extends UserError {
  override readonly name = "UsageError";
  override readonly exitCode = 2;
}
