import { describe, expect, it } from 'vitest';
import { encode, rowBytes, toHalfBits } from './quantize';

describe('quantize', () => {
  it.each([
    [0, 0x0000],
    [1, 0x3c00],
    [-2, 0xc000],
    [0.5, 0x3800],
    [65504, 0x7bff],
    [1e6, 0x7c00],
    [5.960464477539063e-8, 0x0001],
    [0.1, 0x2e66],
  ])('encodes %d as half 0x%s', (value, bits) => {
    expect(toHalfBits(value)).toBe(bits);
  });

  it('writes q8_0 blocks as an f16 scale then 32 int8 values', () => {
    const values = Float32Array.from({ length: 32 }, (_, i) => (i - 16) / 16);
    const out = encode('q8_0', values, 32);
    expect(out.length).toBe(34);
    expect(out.readUInt16LE(0)).toBe(toHalfBits(1 / 127));
    expect(out.readInt8(2)).toBe(-127);
    expect(out.readInt8(2 + 16)).toBe(0);
    expect(rowBytes('q8_0', 64)).toBe(68);
    expect(() => rowBytes('q8_0', 40)).toThrow('multiple of 32');
  });
});
