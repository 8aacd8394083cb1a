// A configuration layer (default.yaml, --config, one environment variable, the flags) as plain
// data, and the one test of "a mapping of settings" shared by reading, path resolution and merging.

export type Plain = Record<string, unknown>;

export interface Layer {
  /** "in my.yaml", "from MAX_NEW_TOKENS", … — appended to messages as [label]. */
  readonly label: string;
  readonly data: Plain;
}

export function isPlainObject(value: unknown): value is Plain {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}
