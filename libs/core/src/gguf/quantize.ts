/**
 * F32 → F16 and F32 → Q8_0 encoders for the GGUF writer. Node 20 has no Float16Array, and no
 * maintained npm package writes ggml's Q8_0 block layout, so these few lines are hand-written.
 */
export const TENSOR_DATA_TYPES = ['f32', 'f16', 'q8_0'] as const;
export type TensorDataType = (typeof TENSOR_DATA_TYPES)[number];

/** ggml type ids (ggml.h `enum ggml_type`). */
export const GGML_TYPE_ID: Record<TensorDataType, number> = { f32: 0, f16: 1, q8_0: 8 };

/** `general.file_type` values (llama.h `enum llama_ftype`). */
export const GGUF_FILE_TYPE: Record<TensorDataType, number> = { f32: 0, f16: 1, q8_0: 7 };

export const Q8_0_BLOCK = 32;
const Q8_0_BLOCK_BYTES = 2 + Q8_0_BLOCK;

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** IEEE-754 binary16 bits of `value`, rounded to nearest even. */
export function toHalfBits(value: number): number {
  f32[0] = value;
  const x = u32[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let half = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    const mid = 1 << (shift - 1);
    if (rem > mid || (rem === mid && half & 1)) half++;
    return sign | half;
  }
  let half = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && half & 1)) half++;
  return sign | half;
}

/** Bytes one row of `n` values takes in the given type. */
export function rowBytes(type: TensorDataType, n: number): number {
  if (type === 'f32') return n * 4;
  if (type === 'f16') return n * 2;
  if (n % Q8_0_BLOCK !== 0) throw new Error(`q8_0 rows must be a multiple of ${Q8_0_BLOCK}, got ${n}`);
  return (n / Q8_0_BLOCK) * Q8_0_BLOCK_BYTES;
}

/** Encodes `values` (a whole number of rows of length `rowLength`) into `type`. */
export function encode(type: TensorDataType, values: Float32Array, rowLength: number): Buffer {
  if (type === 'f32') return Buffer.from(values.buffer, values.byteOffset, values.byteLength);
  if (type === 'f16') {
    const out = Buffer.allocUnsafe(values.length * 2);
    for (let i = 0; i < values.length; i++) {
      const bits = toHalfBits(values[i]!);
      out[2 * i] = bits & 0xff;
      out[2 * i + 1] = bits >>> 8;
    }
    return out;
  }
  const out = Buffer.allocUnsafe(rowBytes('q8_0', rowLength) * (values.length / rowLength));
  let o = 0;
  for (let start = 0; start < values.length; start += Q8_0_BLOCK) {
    let amax = 0;
    for (let j = 0; j < Q8_0_BLOCK; j++) amax = Math.max(amax, Math.abs(values[start + j]!));
    const d = amax / 127;
    const id = d ? 1 / d : 0;
    const dBits = toHalfBits(d);
    out[o] = dBits & 0xff;
    out[o + 1] = dBits >>> 8;
    for (let j = 0; j < Q8_0_BLOCK; j++) out[o + 2 + j] = Math.round(values[start + j]! * id) & 0xff;
    o += Q8_0_BLOCK_BYTES;
  }
  return out;
}
