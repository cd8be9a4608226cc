/**
 * Streaming GGUF v3 writer (layout as in ggml/include/gguf.h). Metadata and tensor descriptors are
 * written first, then each tensor's rows are produced, encoded and appended in slices, so a 1B model
 * never needs more than a few slices in memory.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { GGML_TYPE_ID, TensorDataType, encode, rowBytes } from './quantize';

export const GGUF_ALIGNMENT = 32;

export type GgufValue =
  | { type: 'u32'; value: number }
  | { type: 'i32'; value: number }
  | { type: 'f32'; value: number }
  | { type: 'bool'; value: boolean }
  | { type: 'str'; value: string }
  | { type: 'arr_str'; value: readonly string[] }
  | { type: 'arr_f32'; value: ArrayLike<number> }
  | { type: 'arr_i32'; value: ArrayLike<number> };

export interface GgufTensorSpec {
  name: string;
  /** ggml `ne` order: dims[0] is the contiguous (row) dimension. */
  dims: readonly number[];
  type: TensorDataType;
  /** Fills `out` with rows [firstRow, firstRow + out.length / dims[0]). Called with increasing rows. */
  fill(out: Float32Array, firstRow: number): void;
}

const T = { U32: 4, I32: 5, F32: 6, BOOL: 7, STR: 8, ARR: 9 } as const;
const SLICE_VALUES = 1 << 20;

/** Accumulates little-endian bytes for the header section. */
class ByteSink {
  private readonly parts: Buffer[] = [];
  length = 0;

  private push(buf: Buffer): void {
    this.parts.push(buf);
    this.length += buf.length;
  }
  u32(v: number): void {
    const b = Buffer.allocUnsafe(4);
    b.writeUInt32LE(v >>> 0);
    this.push(b);
  }
  i32(v: number): void {
    const b = Buffer.allocUnsafe(4);
    b.writeInt32LE(v);
    this.push(b);
  }
  u64(v: number): void {
    const b = Buffer.allocUnsafe(8);
    b.writeBigUInt64LE(BigInt(v));
    this.push(b);
  }
  f32(v: number): void {
    const b = Buffer.allocUnsafe(4);
    b.writeFloatLE(v);
    this.push(b);
  }
  str(s: string): void {
    const bytes = Buffer.from(s, 'utf8');
    this.u64(bytes.length);
    this.push(bytes);
  }
  raw(b: Buffer): void {
    this.push(b);
  }
  pad(alignment: number): void {
    const n = (alignment - (this.length % alignment)) % alignment;
    if (n) this.push(Buffer.alloc(n));
  }
  toBuffer(): Buffer {
    return Buffer.concat(this.parts, this.length);
  }
}

function writeArrayHeader(sink: ByteSink, elementType: number, count: number): void {
  sink.u32(T.ARR);
  sink.u32(elementType);
  sink.u64(count);
}

function writeValue(sink: ByteSink, v: GgufValue): void {
  switch (v.type) {
    case 'u32':
      sink.u32(T.U32);
      return sink.u32(v.value);
    case 'i32':
      sink.u32(T.I32);
      return sink.i32(v.value);
    case 'f32':
      sink.u32(T.F32);
      return sink.f32(v.value);
    case 'bool':
      sink.u32(T.BOOL);
      return sink.raw(Buffer.from([v.value ? 1 : 0]));
    case 'str':
      sink.u32(T.STR);
      return sink.str(v.value);
    case 'arr_str':
      writeArrayHeader(sink, T.STR, v.value.length);
      return v.value.forEach((s) => sink.str(s));
    case 'arr_f32':
      writeArrayHeader(sink, T.F32, v.value.length);
      return Array.from(v.value).forEach((x) => sink.f32(x));
    case 'arr_i32':
      writeArrayHeader(sink, T.I32, v.value.length);
      return Array.from(v.value).forEach((x) => sink.i32(x));
  }
}

function tensorBytes(t: GgufTensorSpec): number {
  const rows = t.dims.slice(1).reduce((a, b) => a * b, 1);
  return rowBytes(t.type, t.dims[0]!) * rows;
}

const alignUp = (n: number): number => Math.ceil(n / GGUF_ALIGNMENT) * GGUF_ALIGNMENT;

export interface WriteProgress {
  tensor: string;
  index: number;
  total: number;
  bytesWritten: number;
  bytesTotal: number;
}

/** Writes a complete GGUF file; returns its size in bytes. */
export function writeGguf(
  file: string,
  metadata: ReadonlyArray<readonly [string, GgufValue]>,
  tensors: readonly GgufTensorSpec[],
  onProgress?: (p: WriteProgress) => void,
): number {
  const head = new ByteSink();
  head.raw(Buffer.from('GGUF', 'ascii'));
  head.u32(3);
  head.u64(tensors.length);
  head.u64(metadata.length);
  for (const [key, value] of metadata) {
    head.str(key);
    writeValue(head, value);
  }
  let offset = 0;
  for (const t of tensors) {
    head.str(t.name);
    head.u32(t.dims.length);
    t.dims.forEach((d) => head.u64(d));
    head.u32(GGML_TYPE_ID[t.type]);
    head.u64(offset);
    offset = alignUp(offset + tensorBytes(t));
  }
  head.pad(GGUF_ALIGNMENT);
  const bytesTotal = head.length + offset;

  const fd = openSync(file, 'w');
  try {
    let written = writeSync(fd, head.toBuffer());
    tensors.forEach((t, index) => {
      written += writeTensor(fd, t);
      const pad = alignUp(written) - written;
      if (pad) written += writeSync(fd, Buffer.alloc(pad));
      onProgress?.({ tensor: t.name, index, total: tensors.length, bytesWritten: written, bytesTotal });
    });
    return written;
  } finally {
    closeSync(fd);
  }
}

function writeTensor(fd: number, t: GgufTensorSpec): number {
  const rowLength = t.dims[0]!;
  const rows = t.dims.slice(1).reduce((a, b) => a * b, 1);
  const rowsPerSlice = Math.max(1, Math.floor(SLICE_VALUES / rowLength));
  let written = 0;
  for (let row = 0; row < rows; row += rowsPerSlice) {
    const n = Math.min(rowsPerSlice, rows - row);
    const values = new Float32Array(n * rowLength);
    t.fill(values, row);
    written += writeSync(fd, encode(t.type, values, rowLength));
  }
  return written;
}
