// Seeded deterministic PRNG for test-model weights.
// Only 32-bit integer arithmetic (Math.imul, shifts) and exact float scaling are used, so the same
// seed gives the same numbers on any machine and Node version (no Math.random, no Math.sin/log).

/** splitmix32: expands one 32-bit seed into well-mixed state words. */
function splitmix32(state: { s: number }): number {
  state.s = (state.s + 0x9e3779b9) | 0;
  let z = state.s;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

/** FNV-1a over the UTF-8 bytes of a label: used to give every tensor its own stream. */
export function hashLabel(label: string): number {
  let h = 0x811c9dc5;
  for (const byte of Buffer.from(label, "utf8")) {
    h ^= byte;
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** Seed for a named sub-stream of a model seed (e.g. one tensor), independent of write order. */
export function deriveSeed(seed: number, label: string): number {
  const state = { s: (seed ^ hashLabel(label)) | 0 };
  splitmix32(state);
  return splitmix32(state);
}

/** xoshiro128**: fast, good-quality 32-bit generator. */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number) {
    if (!Number.isInteger(seed)) throw new RangeError(`seed must be an integer, got ${seed}`);
    const state = { s: seed | 0 };
    this.a = splitmix32(state);
    this.b = splitmix32(state);
    this.c = splitmix32(state);
    this.d = splitmix32(state);
    // The all-zero state is a fixed point; splitmix32 cannot produce four zeros, but be safe.
    if ((this.a | this.b | this.c | this.d) === 0) this.a = 1;
  }

  /** Next uniform integer in [0, 2^32). */
  nextUint32(): number {
    const b = this.b;
    const t = b << 9;
    let r = Math.imul(b, 5);
    r = Math.imul((r << 7) | (r >>> 25), 9);
    this.c ^= this.a;
    this.d ^= b;
    this.b ^= this.c;
    this.a ^= this.d;
    this.c ^= t;
    this.d = (this.d << 11) | (this.d >>> 21);
    return r >>> 0;
  }

  /** Next uniform float in [0, 1), multiple of 2^-32 (exact in a double). */
  nextFloat(): number {
    return this.nextUint32() * 2.3283064365386963e-10;
  }

  /** Fill `out` with uniform values in [-amplitude, amplitude). */
  fillUniform(out: Float32Array, amplitude: number): void {
    const scale = 2 * amplitude * 2.3283064365386963e-10;
    for (let i = 0; i < out.length; i++) {
      out[i] = this.nextUint32() * scale - amplitude;
    }
  }
}
