/**
 * Seeded xorshift128+ style PRNG (on 32-bit lanes): generated models must be byte-identical for a
 * given seed on every machine, which Math.random can never give.
 */
export class SeededRandom {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number, stream = 0) {
    // splitmix32 expands (seed, stream) into four non-zero lanes
    let s = (seed ^ Math.imul(stream + 1, 0x9e3779b9)) >>> 0;
    const next = (): number => {
      s = (s + 0x9e3779b9) >>> 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0 || 1;
    };
    this.a = next();
    this.b = next();
    this.c = next();
    this.d = next();
  }

  /** Next unsigned 32-bit integer (xoshiro128**). */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.b, 5), 7), 9) >>> 0;
    const t = this.b << 9;
    this.c ^= this.a;
    this.d ^= this.b;
    this.b ^= this.c;
    this.a ^= this.d;
    this.c ^= t;
    this.d = rotl(this.d, 11);
    return result;
  }

  /** Uniform float in [-limit, limit). */
  uniform(limit: number): number {
    return (this.nextUint32() / 4294967296) * 2 * limit - limit;
  }

  /** Fills `out` with uniform values in [-limit, limit). */
  fillUniform(out: Float32Array, limit: number): void {
    const scale = (2 * limit) / 4294967296;
    for (let i = 0; i < out.length; i++) out[i] = this.nextUint32() * scale - limit;
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}
