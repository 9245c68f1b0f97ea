/**
 * Builds frames into preallocated buffers: header, payload, CRC-16, COBS, delimiters. One encoder
 * allocates its buffers once; `finish()` returns a view of its output buffer that stays valid
 * until the next `begin()` (copy it, or write it out, before encoding the next frame).
 *
 * Wire form of a frame: 0x00, COBS(version | board id | type | seq u16 | payload | CRC u16), 0x00.
 * The leading delimiter lets a receiver that sat in garbage resynchronize before this frame.
 */
import { cobsEncode } from "./cobs.js";
import { MAX_RAW_FRAME, MAX_WIRE_FRAME, PROTOCOL_VERSION, HEADER_SIZE, CRC_SIZE } from "./constants.js";
import { crc16 } from "./crc16.js";

export class FrameEncoder {
  readonly #raw = new Uint8Array(MAX_RAW_FRAME);
  readonly #view = new DataView(this.#raw.buffer);
  readonly #out = new Uint8Array(MAX_WIRE_FRAME);
  #pos = 0;
  #open = false;

  /** Starts a frame. Throws a RangeError for a board id or sequence number out of range (a programming error). */
  begin(boardId: number, type: number, seq: number, version = PROTOCOL_VERSION): this {
    if (!(boardId >= 0 && boardId <= 0xff) || !(seq >= 0 && seq <= 0xffff) || !(type >= 0 && type <= 0xff)) {
      throw new RangeError(`FrameEncoder.begin: board id ${boardId}, type ${type} or seq ${seq} out of range`);
    }
    const r = this.#raw;
    r[0] = version;
    r[1] = boardId;
    r[2] = type;
    r[3] = seq & 0xff;
    r[4] = seq >>> 8;
    this.#pos = HEADER_SIZE;
    this.#open = true;
    return this;
  }

  #room(n: number): number {
    const p = this.#pos;
    if (p + n > MAX_RAW_FRAME - CRC_SIZE) throw new RangeError("FrameEncoder: payload too long");
    this.#pos = p + n;
    return p;
  }

  u8(v: number): this {
    this.#raw[this.#room(1)] = v;
    return this;
  }
  u16(v: number): this {
    this.#view.setUint16(this.#room(2), v, true);
    return this;
  }
  i16(v: number): this {
    this.#view.setInt16(this.#room(2), v, true);
    return this;
  }
  u32(v: number): this {
    this.#view.setUint32(this.#room(4), v, true);
    return this;
  }
  i32(v: number): this {
    this.#view.setInt32(this.#room(4), v, true);
    return this;
  }
  f32(v: number): this {
    this.#view.setFloat32(this.#room(4), v, true);
    return this;
  }

  /** Payload bytes written so far. */
  get payloadLength(): number {
    return this.#pos - HEADER_SIZE;
  }

  /** Appends the CRC and COBS-encodes the frame with its delimiters; returns a view of the encoder's buffer. */
  finish(): Uint8Array {
    if (!this.#open) throw new Error("FrameEncoder.finish: no frame begun");
    this.#open = false;
    const r = this.#raw;
    const end = this.#pos;
    const crc = crc16(r, 0, end);
    r[end] = crc & 0xff;
    r[end + 1] = crc >>> 8;
    const out = this.#out;
    out[0] = 0;
    const n = cobsEncode(r, 0, end + CRC_SIZE, out, 1);
    out[n + 1] = 0;
    return out.subarray(0, n + 2);
  }

  /** The raw frame (header, payload, CRC) of the last `finish()`: for tests and vector files. */
  lastRaw(): Uint8Array {
    return this.#raw.slice(0, this.#pos + CRC_SIZE);
  }
}
