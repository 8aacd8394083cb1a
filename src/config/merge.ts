// How layers combine: objects merge key by key, anything else replaces what was there.

import { isPlainObject, type Plain } from "./layer.js";

/** The flags without their unset (undefined) values, which must not override a lower layer. */
export function stripUndefined(value: unknown): Plain {
  const out: Plain = {};
  if (!isPlainObject(value)) return out;
  for (const [key, v] of Object.entries(value)) {
    if (v === undefined) continue;
    out[key] = isPlainObject(v) ? stripUndefined(v) : v;
  }
  return out;
}

/** Objects merge key by key; anything else (arrays included) replaces what was there. */
export function deepMerge(base: Plain, over: Plain): Plain {
  const out: Plain = { ...base };
  for (const [key, value] of Object.entries(over)) {
    if (value === undefined) continue;
    const current = out[key];
    out[key] = isPlainObject(current) && isPlainObject(value) ? deepMerge(current, value) : structuredClone(value);
  }
  return out;
}
