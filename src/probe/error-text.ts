/** An error as one line for probe warnings and run reasons: "Name: message" unless it is a plain Error. */
export function errorText(err: unknown): string {
  if (err instanceof Error) return err.name && err.name !== "Error" ? `${err.name}: ${err.message}` : err.message;
  return String(err);
}
