/**
 * Streaming frame decoder: bytes in any chunking go in, checked frames come out. Bytes collect
 * until a 0x00 delimiter; the run is COBS-decoded, its length, CRC and version checked, and a
 * good frame handed to `onFrame`. Anything else is counted and dropped, and decoding resumes at
 * the next delimiter, so one corruption loses at most the frame it hit.
 *
 * Never throws out of `push` (a throwing `onFrame` is counted as `handlerErrors`) and never stalls:
 * a run longer than the largest frame is discarded up to the next delimiter. Buffers are
 * allocated once; the `FrameView` handed to `onFrame` is reused and valid only during the call.
 */
import { cobsDecode } from "./cobs.js";
import { CRC_SIZE, HEADER_SIZE, MAX_RAW_FRAME, MAX_WIRE_FRAME, PROTOCOL_VERSION } from "./constants.js";
import { crc16 } from "./crc16.js";

/** One decoded frame: header fields and the payload as `bytes[payloadStart, payloadEnd)`. */
export interface FrameView {
  version: number;
  boardId: number;
  type: number;
  seq: number;
  /** The decoder's raw-frame buffer (header, payload, CRC). */
  readonly bytes: Uint8Array;
  readonly view: DataView;
  payloadStart: number;
  payloadEnd: number;
}

export interface DecoderCounters {
  /** Bytes pushed. */
  bytes: number;
  /** Frames that passed every check. */
  framesOk: number;
  crcErrors: number;
  /** Runs that were not valid COBS. */
  cobsErrors: number;
  /** Runs longer than the largest frame. */
  tooLong: number;
  /** Runs shorter than header + CRC. */
  tooShort: number;
  /** Frames with a protocol version other than ours. */
  versionErrors: number;
  /** Every dropped run (any of the above): the times the decoder resynchronized at a delimiter. */
  resyncs: number;
  /** `onFrame` threw. */
  handlerErrors: number;
}

export function createDecoderCounters(): DecoderCounters {
  return { bytes: 0, framesOk: 0, crcErrors: 0, cobsErrors: 0, tooLong: 0, tooShort: 0, versionErrors: 0, resyncs: 0, handlerErrors: 0 };
}

export class FrameDecoder {
  readonly counters: DecoderCounters = createDecoderCounters();
  readonly #onFrame: (frame: FrameView) => void;
  readonly #acc = new Uint8Array(MAX_WIRE_FRAME);
  #accLen = 0;
  #discarding = false;
  readonly #frame: FrameView;

  constructor(onFrame: (frame: FrameView) => void) {
    this.#onFrame = onFrame;
    const bytes = new Uint8Array(MAX_RAW_FRAME);
    this.#frame = { version: 0, boardId: 0, type: 0, seq: 0, bytes, view: new DataView(bytes.buffer), payloadStart: HEADER_SIZE, payloadEnd: HEADER_SIZE };
  }

  /** Feeds bytes `chunk[start, end)`. */
  push(chunk: Uint8Array, start = 0, end = chunk.length): void {
    const acc = this.#acc;
    const cap = acc.length;
    this.counters.bytes += end - start;
    for (let i = start; i < end; i++) {
      const b = chunk[i];
      if (b === 0) {
        if (this.#discarding) {
          this.#discarding = false;
        } else if (this.#accLen > 0) {
          this.#complete();
        }
        this.#accLen = 0;
      } else if (!this.#discarding) {
        if (this.#accLen < cap) {
          acc[this.#accLen++] = b;
        } else {
          this.counters.tooLong++;
          this.counters.resyncs++;
          this.#discarding = true;
          this.#accLen = 0;
        }
      }
    }
  }

  /**
   * Forgets a partial frame, for a link that was (re)opened: bytes up to the first delimiter are
   * the tail of a frame sent before we listened, and are dropped without counting as errors.
   */
  reset(): void {
    this.#accLen = 0;
    this.#discarding = true;
  }

  #complete(): void {
    const c = this.counters;
    const f = this.#frame;
    const n = cobsDecode(this.#acc, 0, this.#accLen, f.bytes);
    if (n < 0) {
      c.cobsErrors++;
      c.resyncs++;
      return;
    }
    if (n < HEADER_SIZE + CRC_SIZE) {
      c.tooShort++;
      c.resyncs++;
      return;
    }
    const bytes = f.bytes;
    const crc = bytes[n - 2] | (bytes[n - 1] << 8);
    if (crc16(bytes, 0, n - CRC_SIZE) !== crc) {
      c.crcErrors++;
      c.resyncs++;
      return;
    }
    if (bytes[0] !== PROTOCOL_VERSION) {
      c.versionErrors++;
      c.resyncs++;
      return;
    }
    f.version = bytes[0];
    f.boardId = bytes[1];
    f.type = bytes[2];
    f.seq = bytes[3] | (bytes[4] << 8);
    f.payloadStart = HEADER_SIZE;
    f.payloadEnd = n - CRC_SIZE;
    c.framesOk++;
    try {
      this.#onFrame(f);
    } catch {
      c.handlerErrors++;
    }
  }
}
