// The root of elyza-bot's errors. Callers branch on these classes (instanceof), never on `.name`
// (each class still sets its own name, for logs and metrics labels):
// - ElyzaBotError: every error this code base throws on purpose; subclasses carry the data their
//   callers branch on (a limit, a backend, a key path) and live next to the domain that throws them.
// - UserError: something the user can fix (a flag, a config key, a model path, a suite, a test id,
//   a busy queue). The CLI prints its message as one line, without a stack, and exits with its
//   exitCode (2 for a usage mistake, as for an unknown command; 1 for the rest).

export class ElyzaBotError extends Error {
  override readonly name: string = "ElyzaBotError";
}

export class UserError extends ElyzaBotError {
  override readonly name: string = "UserError";
  /** The process exit code when this error ends a CLI command. */
  readonly exitCode: number = 1;
}
