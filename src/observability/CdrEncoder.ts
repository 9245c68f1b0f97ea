/**
 * A CDR (little-endian, XCDR1: the ROS 2 default) encoder compiled once from ROS 2 message
 * definitions into a tree of closures, writing straight into a caller's growable buffer: no
 * per-message allocation for the message shapes tendon publishes (strings are written byte by
 * byte when ASCII). Its output is byte for byte that of @foxglove/rosmsg2-serialization's
 * `MessageWriter` (checked by the tests on every tendon message type); `MessageWriter` is the
 * reference, this encoder is the fast path a control-rate recorder can afford.
 *
 * Payloads start with the encapsulation header 00 01 00 00 (CDR_LE); alignment is relative to the
 * byte after it, as in ROS 2.
 */
import type { MessageDefinition, MessageDefinitionField } from "@foxglove/message-definition";

/**
 * A growable byte buffer. `bytes` and `view` are replaced when it grows: read them again after
 * any call that may write.
 */
export class ByteBuffer {
  bytes: Uint8Array;
  view: DataView;
  pos = 0;
  /** Where CDR alignment counts from (set by the encoder). */
  origin = 0;

  constructor(capacity = 64 * 1024) {
    this.bytes = new Uint8Array(capacity);
    this.view = new DataView(this.bytes.buffer);
  }

  /** Makes room for `n` more bytes after `pos`, keeping the content. */
  ensure(n: number): void {
    const need = this.pos + n;
    if (need <= this.bytes.length) return;
    let cap = this.bytes.length * 2;
    while (cap < need) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.bytes.subarray(0, this.pos));
    this.bytes = next;
    this.view = new DataView(next.buffer);
  }

  /** Takes the current buffer (its first `pos` bytes are the content) and starts on `replacement`. */
  swap(replacement: Uint8Array): Uint8Array {
    const full = this.bytes;
    this.bytes = replacement;
    this.view = new DataView(replacement.buffer, replacement.byteOffset, replacement.byteLength);
    this.pos = 0;
    return full;
  }
}

type Write = (b: ByteBuffer, value: unknown) => void;
type Msg = Record<string, unknown>;

function align(b: ByteBuffer, n: number): void {
  const rem = (b.pos - b.origin) % n;
  if (rem !== 0) {
    const pad = n - rem;
    b.ensure(pad);
    b.bytes.fill(0, b.pos, b.pos + pad);
    b.pos += pad;
  }
}

const utf8 = new TextEncoder();

function writeString(b: ByteBuffer, value: unknown): void {
  const s = typeof value === "string" ? value : "";
  const len = s.length;
  align(b, 4);
  b.ensure(4 + len * 3 + 1);
  const lenPos = b.pos;
  let p = lenPos + 4;
  const bytes = b.bytes;
  let ascii = true;
  for (let i = 0; i < len; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x80) {
      ascii = false;
      break;
    }
    bytes[p++] = c;
  }
  if (!ascii) p = lenPos + 4 + utf8.encodeInto(s, bytes.subarray(lenPos + 4, lenPos + 4 + len * 3)).written;
  bytes[p++] = 0;
  b.view.setUint32(lenPos, p - lenPos - 4, true);
  b.pos = p;
}

function num(v: unknown): number {
  return typeof v === "number" ? v : typeof v === "boolean" ? (v ? 1 : 0) : 0;
}

function big(v: unknown): bigint {
  return typeof v === "bigint" ? v : typeof v === "number" ? BigInt(Math.trunc(v)) : 0n;
}

/** One scalar of a primitive type: its size and how to write it (alignment = size, except time: 4). */
interface Primitive {
  readonly size: number;
  readonly alignment: number;
  readonly put: (b: ByteBuffer, v: unknown) => void;
}

const PRIMITIVES: Readonly<Record<string, Primitive>> = {
  bool: { size: 1, alignment: 1, put: (b, v) => b.view.setUint8(b.pos++, v === true || v === 1 ? 1 : 0) },
  int8: { size: 1, alignment: 1, put: (b, v) => b.view.setInt8(b.pos++, num(v)) },
  uint8: { size: 1, alignment: 1, put: (b, v) => b.view.setUint8(b.pos++, num(v)) },
  byte: { size: 1, alignment: 1, put: (b, v) => b.view.setUint8(b.pos++, num(v)) },
  char: { size: 1, alignment: 1, put: (b, v) => b.view.setUint8(b.pos++, num(v)) },
  int16: { size: 2, alignment: 2, put: (b, v) => (b.view.setInt16(b.pos, num(v), true), (b.pos += 2)) },
  uint16: { size: 2, alignment: 2, put: (b, v) => (b.view.setUint16(b.pos, num(v), true), (b.pos += 2)) },
  int32: { size: 4, alignment: 4, put: (b, v) => (b.view.setInt32(b.pos, num(v), true), (b.pos += 4)) },
  uint32: { size: 4, alignment: 4, put: (b, v) => (b.view.setUint32(b.pos, num(v), true), (b.pos += 4)) },
  float32: { size: 4, alignment: 4, put: (b, v) => (b.view.setFloat32(b.pos, num(v), true), (b.pos += 4)) },
  float64: { size: 8, alignment: 8, put: (b, v) => (b.view.setFloat64(b.pos, num(v), true), (b.pos += 8)) },
  int64: { size: 8, alignment: 8, put: (b, v) => (b.view.setBigInt64(b.pos, big(v), true), (b.pos += 8)) },
  uint64: { size: 8, alignment: 8, put: (b, v) => (b.view.setBigUint64(b.pos, big(v), true), (b.pos += 8)) },
  time: { size: 8, alignment: 4, put: putTime },
  duration: { size: 8, alignment: 4, put: putTime },
};

function putTime(b: ByteBuffer, v: unknown): void {
  const t = (v ?? {}) as { sec?: number; nanosec?: number; nsec?: number };
  b.view.setInt32(b.pos, t.sec ?? 0, true);
  b.view.setUint32(b.pos + 4, t.nanosec ?? t.nsec ?? 0, true);
  b.pos += 8;
}

export class CdrEncoder {
  readonly #root: Write;

  /** `definitions`: the root type first, then every type it uses (as `definitionsFor` returns them). */
  constructor(definitions: readonly MessageDefinition[]) {
    if (definitions.length === 0) throw new Error("CdrEncoder: no definitions");
    const byName = new Map(definitions.map((d) => [d.name ?? "", d]));
    const compiled = new Map<string, Write>();
    const compile = (def: MessageDefinition): Write => {
      const fields = def.definitions.filter((f) => f.isConstant !== true);
      if (fields.length === 0) {
        // ROS 2 gives an empty message one uint8 member.
        return (b) => {
          b.ensure(1);
          b.bytes[b.pos++] = 0;
        };
      }
      const writers = fields.map((f) => fieldWriter(f));
      return (b, value) => {
        const m = (value ?? {}) as Msg;
        for (let i = 0; i < writers.length; i++) writers[i](b, m);
      };
    };
    const complex = (type: string): Write => {
      let w = compiled.get(type);
      if (w) return w;
      const def = byName.get(type);
      if (!def) throw new Error(`CdrEncoder: no definition of '${type}'`);
      // A forward reference for recursive types.
      let inner: Write | undefined;
      compiled.set(type, (b, v) => inner!(b, v));
      inner = compile(def);
      w = inner;
      compiled.set(type, w);
      return w;
    };
    const fieldWriter = (f: MessageDefinitionField): ((b: ByteBuffer, m: Msg) => void) => {
      const name = f.name;
      const fixed = f.arrayLength;
      if (f.isArray === true) {
        const lengthOf = (v: unknown): number => (fixed !== undefined ? fixed : ((v as { length?: number } | undefined)?.length ?? 0));
        const prefix = (b: ByteBuffer, n: number): void => {
          if (fixed !== undefined) return;
          align(b, 4);
          b.ensure(4);
          b.view.setUint32(b.pos, n, true);
          b.pos += 4;
        };
        if (f.isComplex === true) {
          const w = complex(f.type);
          return (b, m) => {
            const v = m[name] as unknown[] | undefined;
            const n = lengthOf(v);
            prefix(b, n);
            for (let i = 0; i < n; i++) w(b, v?.[i]);
          };
        }
        if (f.type === "string") {
          return (b, m) => {
            const v = m[name] as unknown[] | undefined;
            const n = lengthOf(v);
            prefix(b, n);
            for (let i = 0; i < n; i++) writeString(b, v?.[i]);
          };
        }
        const p = PRIMITIVES[f.type];
        if (!p) throw new Error(`CdrEncoder: unsupported type '${f.type}[]'`);
        if (f.type === "float64") {
          return (b, m) => {
            const v = m[name] as ArrayLike<number> | undefined;
            const n = lengthOf(v);
            prefix(b, n);
            if (n === 0) return;
            align(b, 8);
            b.ensure(8 * n);
            const view = b.view;
            let pos = b.pos;
            for (let i = 0; i < n; i++, pos += 8) view.setFloat64(pos, num(v?.[i]), true);
            b.pos = pos;
          };
        }
        return (b, m) => {
          const v = m[name] as ArrayLike<unknown> | undefined;
          const n = lengthOf(v);
          prefix(b, n);
          for (let i = 0; i < n; i++) {
            align(b, p.alignment);
            b.ensure(p.size);
            p.put(b, v?.[i]);
          }
        };
      }
      if (f.isComplex === true) {
        const w = complex(f.type);
        return (b, m) => w(b, m[name]);
      }
      if (f.type === "string") return (b, m) => writeString(b, m[name]);
      const p = PRIMITIVES[f.type];
      if (!p) throw new Error(`CdrEncoder: unsupported type '${f.type}'`);
      return (b, m) => {
        align(b, p.alignment);
        b.ensure(p.size);
        p.put(b, m[name]);
      };
    };
    this.#root = compile(definitions[0]);
  }

  /** Appends the CDR payload of `message` (encapsulation header first) at `b.pos`. */
  encode(message: unknown, b: ByteBuffer): void {
    b.ensure(4);
    const bytes = b.bytes;
    bytes[b.pos] = 0;
    bytes[b.pos + 1] = 1;
    bytes[b.pos + 2] = 0;
    bytes[b.pos + 3] = 0;
    b.pos += 4;
    b.origin = b.pos;
    this.#root(b, message);
  }

  /** The payload as a new array (for low-rate use and tests). */
  encodeToBytes(message: unknown, scratch = new ByteBuffer(256)): Uint8Array {
    scratch.pos = 0;
    this.encode(message, scratch);
    return scratch.bytes.slice(0, scratch.pos);
  }
}
