/**
 * A CDR (little-endian, XCDR1: the ROS 2 default) encoder compiled once from ROS 2 message
 * definitions into straight-line JavaScript, writing into a caller's growable buffer: no
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

type Encode = (b: ByteBuffer, m: unknown) => void;

const utf8 = new TextEncoder();

/**
 * Writes `s` (length-prefixed, NUL-terminated UTF-8) at `p`, which is 4-aligned, with room for
 * 4 + 3 * s.length + 1 bytes; returns the position after it.
 */
function putString(bytes: Uint8Array, view: DataView, p: number, s: string): number {
  const len = s.length;
  let q = p + 4;
  for (let i = 0; i < len; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x80) {
      q = p + 4 + utf8.encodeInto(s, bytes.subarray(p + 4, p + 4 + len * 3)).written;
      break;
    }
    bytes[q++] = c;
  }
  bytes[q++] = 0;
  view.setUint32(p, q - p - 4, true);
  return q;
}

function toBig(v: unknown): bigint {
  return typeof v === "bigint" ? v : typeof v === "number" ? BigInt(Math.trunc(v)) : 0n;
}

const EMPTY: Readonly<Record<string, unknown>> = Object.freeze({});

/** Size, alignment and DataView setter of each primitive (time: two 4-byte words). */
const PRIMITIVES: Readonly<Record<string, { size: number; setter?: string; bool?: true; big?: true }>> = {
  bool: { size: 1, setter: "setUint8", bool: true },
  int8: { size: 1, setter: "setInt8" },
  uint8: { size: 1, setter: "setUint8" },
  byte: { size: 1, setter: "setUint8" },
  char: { size: 1, setter: "setUint8" },
  int16: { size: 2, setter: "setInt16" },
  uint16: { size: 2, setter: "setUint16" },
  int32: { size: 4, setter: "setInt32" },
  uint32: { size: 4, setter: "setUint32" },
  float32: { size: 4, setter: "setFloat32" },
  float64: { size: 8, setter: "setFloat64" },
  int64: { size: 8, setter: "setBigInt64", big: true },
  uint64: { size: 8, setter: "setBigUint64", big: true },
  time: { size: 8 },
  duration: { size: 8 },
};

/**
 * Generates the source of an encoder: straight-line code per field, nested types inlined, with
 * local cursor, view and bytes (reloaded after the buffer grows). Field names are written as
 * string literals; nothing from a message reaches the generated code.
 */
class Generator {
  readonly #byName: Map<string, MessageDefinition>;
  /** One cache per string-array field: the strings last written and their bytes. */
  readonly caches: { strs: unknown[]; bytes: Uint8Array }[] = [];
  #n = 0;

  constructor(definitions: readonly MessageDefinition[]) {
    this.#byName = new Map(definitions.map((d) => [d.name ?? "", d]));
  }

  #var(prefix: string): string {
    return `${prefix}${this.#n++}`;
  }

  /** Makes room for `n` (an expression) more bytes. */
  #room(n: string): string {
    return `if (p + ${n} > y.length) { b.pos = p; b.ensure(${n}); y = b.bytes; v = b.view; }\n`;
  }

  #align(size: number): string {
    if (size <= 1) return "";
    const mask = size - 1;
    return `{ const r = (p - o) & ${mask}; if (r !== 0) { ${this.#room(String(size))} for (let k = r; k < ${size}; k++) y[p++] = 0; } }\n`;
  }

  #scalar(type: string, x: string): string {
    if (type === "string") {
      const sv = this.#var("s");
      return `{ const ${sv} = typeof ${x} === "string" ? ${x} : "";\n${this.#align(4)}${this.#room(`4 + ${sv}.length * 3 + 1`)}p = putString(y, v, p, ${sv}); }\n`;
    }
    if (type === "time" || type === "duration") {
      const tv = this.#var("t");
      return `${this.#align(4)}${this.#room("8")}{ const ${tv} = ${x} ?? EMPTY; v.setInt32(p, ${tv}.sec ?? 0, true); v.setUint32(p + 4, ${tv}.nanosec ?? ${tv}.nsec ?? 0, true); p += 8; }\n`;
    }
    const prim = PRIMITIVES[type];
    if (!prim?.setter) throw new Error(`CdrEncoder: unsupported type '${type}'`);
    const value = prim.big ? `toBig(${x})` : prim.bool ? `(${x} === true || ${x} === 1 ? 1 : 0)` : `(typeof ${x} === "number" ? ${x} : typeof ${x} === "boolean" ? +${x} : 0)`;
    const le = prim.size > 1 ? ", true" : "";
    return `${this.#align(prim.size)}${this.#room(String(prim.size))}v.${prim.setter}(p, ${value}${le}); p += ${prim.size};\n`;
  }

  /** Code writing the fields of `def` from the object in variable `m`. */
  struct(def: MessageDefinition, m: string): string {
    const fields = def.definitions.filter((f) => f.isConstant !== true);
    // ROS 2 gives an empty message one uint8 member.
    if (fields.length === 0) return `${this.#room("1")}y[p++] = 0;\n`;
    return fields.map((f) => this.#field(f, m)).join("");
  }

  #nested(type: string): MessageDefinition {
    const def = this.#byName.get(type);
    if (!def) throw new Error(`CdrEncoder: no definition of '${type}'`);
    return def;
  }

  #field(f: MessageDefinitionField, m: string): string {
    const x = `${m}[${JSON.stringify(f.name)}]`;
    if (f.isArray !== true) {
      if (f.isComplex === true) {
        const mv = this.#var("m");
        return `{ const ${mv} = ${x} ?? EMPTY;\n${this.struct(this.#nested(f.type), mv)}}\n`;
      }
      return this.#scalar(f.type, x);
    }
    const av = this.#var("a");
    const nv = this.#var("n");
    const iv = this.#var("i");
    let code = `{ const ${av} = ${x};\n`;
    code += f.arrayLength !== undefined ? `const ${nv} = ${f.arrayLength};\n` : `const ${nv} = ${av} == null ? 0 : (${av}.length ?? 0);\n${this.#align(4)}${this.#room("4")}v.setUint32(p, ${nv}, true); p += 4;\n`;
    const elem = `(${av} == null ? undefined : ${av}[${iv}])`;
    if (f.isComplex === true) {
      const ev = this.#var("e");
      code += `for (let ${iv} = 0; ${iv} < ${nv}; ${iv}++) { const ${ev} = ${elem} ?? EMPTY;\n${this.struct(this.#nested(f.type), ev)}}\n`;
    } else if (f.type === "float64") {
      // Aligned once (nothing for an empty sequence), then the values back to back.
      const xv = this.#var("x");
      code += `if (${nv} > 0) {\n${this.#align(8)}${this.#room(`8 * ${nv}`)}for (let ${iv} = 0; ${iv} < ${nv}; ${iv}++, p += 8) { const ${xv} = ${elem}; v.setFloat64(p, typeof ${xv} === "number" ? ${xv} : 0, true); } }\n`;
    } else if (f.type === "string" && f.arrayLength === undefined) {
      // Name lists repeat message after message: their bytes are kept and copied while the same
      // strings come. The copy starts 4-aligned, as the strings do, so its padding is the same.
      const cv = this.#var("c");
      const hv = this.#var("h");
      const sv = this.#var("start");
      this.caches.push({ strs: [], bytes: new Uint8Array(0) });
      code += `const ${cv} = C[${this.caches.length - 1}];\nlet ${hv} = ${nv} > 0 && ${cv}.strs.length === ${nv};\n`;
      code += `for (let ${iv} = 0; ${hv} && ${iv} < ${nv}; ${iv}++) ${hv} = ${av}[${iv}] === ${cv}.strs[${iv}];\n`;
      code += `if (${hv}) { ${this.#room(`${cv}.bytes.length`)}y.set(${cv}.bytes, p); p += ${cv}.bytes.length; }\n`;
      code += `else { const ${sv} = p;\nfor (let ${iv} = 0; ${iv} < ${nv}; ${iv}++) {\n${this.#scalar(f.type, elem)}}\n`;
      code += `if (${nv} > 0 && ${nv} <= 256) { ${cv}.strs = Array.from(${av}); ${cv}.bytes = y.slice(${sv}, p); } }\n`;
    } else {
      code += `for (let ${iv} = 0; ${iv} < ${nv}; ${iv}++) {\n${this.#scalar(f.type, elem)}}\n`;
    }
    return `${code}}\n`;
  }
}

export class CdrEncoder {
  readonly #encode: Encode;

  /** `definitions`: the root type first, then every type it uses (as `definitionsFor` returns them). */
  constructor(definitions: readonly MessageDefinition[]) {
    if (definitions.length === 0) throw new Error("CdrEncoder: no definitions");
    const gen = new Generator(definitions);
    const body = `let p = b.pos; const o = b.origin; let y = b.bytes; let v = b.view;\n${gen.struct(definitions[0], "m")}b.pos = p;\n`;
    const factory = new Function("putString", "toBig", "EMPTY", "C", `return function encode(b, m) {\n${body}};`) as (
      ps: typeof putString,
      tb: typeof toBig,
      empty: typeof EMPTY,
      caches: Generator["caches"],
    ) => Encode;
    this.#encode = factory(putString, toBig, EMPTY, gen.caches);
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
    this.#encode(b, message ?? EMPTY);
  }

  /** The payload as a new array (for low-rate use and tests). */
  encodeToBytes(message: unknown, scratch = new ByteBuffer(256)): Uint8Array {
    scratch.pos = 0;
    this.encode(message, scratch);
    return scratch.bytes.slice(0, scratch.pos);
  }
}
