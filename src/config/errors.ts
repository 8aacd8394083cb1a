// The one error type for anything the user got wrong in configuration (YAML files, environment
// variables, .env, command-line overrides). The CLI prints `message` as one line and exits 1.

import { UserError } from "../errors.js";

export class ConfigError extends UserError {
  override readonly name = "ConfigError";
  /** Each problem on its own (the message joins them with "; "), without the "config error: " prefix. */
  readonly problems: readonly string[];

  constructor(problems: string | readonly string[]) {
    const list = typeof problems === "string" ? [problems] : problems;
    super(`config error: ${list.join("; ")}`.replace(/[\r\n]+/g, " "));
    this.problems = list;
  }
}
