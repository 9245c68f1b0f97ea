/**
 * The checkpoint container: one file holding a JSON header and raw little-endian arrays.
 *
 *   "TENDONCK" (8 bytes) | version u32 | header length u32 | header (UTF-8 JSON) | array bytes
 *
 * The header holds everything that is not a big array, plus an index of the arrays (name,
 * dtype, byte offset, length). Writing is atomic: the bytes go to a temporary file beside the
 * target, are flushed to disk, and the file is renamed over the target, so a crash leaves either
 * the old checkpoint or the new one, never a torn file.
 */
import { UserError } from "../../core/errors.js";
import fs from "node:fs";
import path from "node:path";

const MAGIC = "TENDONCK";
const FORMAT_VERSION = 1;

type Dtype = "float32" | "float64" | "uint32" | "uint8";
type TypedArray = Float32Array | Float64Array | Uint32Array | Uint8Array;

export interface CheckpointContents {
  readonly header: Record<string, unknown>;
  readonly arrays: ReadonlyMap<string, TypedArray>;
}

/** A file that is not a checkpoint of this format, or is damaged. */
export class CheckpointError extends UserError {
  override name = "CheckpointError";
}

function dtypeOf(a: TypedArray): Dtype {
  if (a instanceof Float32Array) return "float32";
  if (a instanceof Float64Array) return "float64";
  if (a instanceof Uint32Array) return "uint32";
  return "uint8";
}

export function encodeCheckpoint(contents: CheckpointContents): Buffer {
  const index: { name: string; dtype: Dtype; offset: number; length: number }[] = [];
  let offset = 0;
  for (const [name, a] of contents.arrays) {
    // Align every array to 8 bytes so it can be viewed in place.
    offset = Math.ceil(offset / 8) * 8;
    index.push({ name, dtype: dtypeOf(a), offset, length: a.length });
    offset += a.byteLength;
  }
  const headerBytes = Buffer.from(JSON.stringify({ ...contents.header, arrays: index }), "utf8");
  const start = Math.ceil((16 + headerBytes.length) / 8) * 8;
  const out = Buffer.alloc(start + offset);
  out.write(MAGIC, 0, "latin1");
  out.writeUInt32LE(FORMAT_VERSION, 8);
  out.writeUInt32LE(headerBytes.length, 12);
  headerBytes.copy(out, 16);
  for (const entry of index) {
    const a = contents.arrays.get(entry.name)!;
    Buffer.from(a.buffer, a.byteOffset, a.byteLength).copy(out, start + entry.offset);
  }
  return out;
}

export function decodeCheckpoint(bytes: Uint8Array, label = "checkpoint"): CheckpointContents {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length < 16 || buf.toString("latin1", 0, 8) !== MAGIC) throw new CheckpointError(`${label} is not a tendon checkpoint`);
  const version = buf.readUInt32LE(8);
  if (version !== FORMAT_VERSION) throw new CheckpointError(`${label} has format version ${version}; this tendon reads version ${FORMAT_VERSION}`);
  const headerLength = buf.readUInt32LE(12);
  if (16 + headerLength > buf.length) throw new CheckpointError(`${label} is truncated (header)`);
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(buf.toString("utf8", 16, 16 + headerLength));
  } catch {
    throw new CheckpointError(`${label} has a damaged header`);
  }
  const start = Math.ceil((16 + headerLength) / 8) * 8;
  const arrays = new Map<string, TypedArray>();
  const index = (header.arrays ?? []) as { name: string; dtype: Dtype; offset: number; length: number }[];
  for (const e of index) {
    const ctor = e.dtype === "float32" ? Float32Array : e.dtype === "float64" ? Float64Array : e.dtype === "uint32" ? Uint32Array : Uint8Array;
    const byteLength = e.length * ctor.BYTES_PER_ELEMENT;
    if (start + e.offset + byteLength > buf.length) throw new CheckpointError(`${label} is truncated (array '${e.name}')`);
    // Copy out so the arrays own aligned memory independent of the file buffer.
    const copy = new ctor(e.length);
    new Uint8Array(copy.buffer).set(buf.subarray(start + e.offset, start + e.offset + byteLength));
    arrays.set(e.name, copy);
  }
  delete header.arrays;
  return { header, arrays };
}

/** Writes atomically: temporary file, fsync, rename. Creates the folder if needed. */
export function writeCheckpointFile(file: string, contents: CheckpointContents): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}`;
  const bytes = encodeCheckpoint(contents);
  const fd = fs.openSync(tmp, "w");
  try {
    fs.writeSync(fd, bytes);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
}

export function readCheckpointFile(file: string): CheckpointContents {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch (err) {
    throw new CheckpointError(`cannot read checkpoint '${file}': ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  return decodeCheckpoint(bytes, `checkpoint '${file}'`);
}
