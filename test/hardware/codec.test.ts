import assert from "node:assert/strict";
import fc from "fast-check";
import { cobsDecode, cobsEncode, cobsMaxEncodedLength } from "../../hardware/protocol/cobs.js";
import { crc16, CRC16_CHECK } from "../../hardware/protocol/crc16.js";
import { FrameDecoder, type FrameView } from "../../hardware/protocol/FrameDecoder.js";
import { FrameEncoder } from "../../hardware/protocol/FrameEncoder.js";
import { MAX_JOINTS, MAX_MUSCLES, MAX_WIRE_FRAME, MsgType, PROTOCOL_VERSION } from "../../hardware/protocol/constants.js";
import {
  decodeMessage,
  encodeMessage,
  readStatusInto,
  StatusBuffers,
  statusFromBuffers,
  statusToBuffers,
  writeStatus,
  type Message,
  type PidGains,
} from "../../hardware/protocol/messages.js";
import { hex, readVectors, unhex } from "../../hardware/tools/protocolVectors.js";

/** Every frame a byte stream decodes to, as { boardId, seq, message }. */
function decodeAll(bytes: Uint8Array, chunk = bytes.length): { frames: Array<{ boardId: number; seq: number; message: Message | undefined }>; decoder: FrameDecoder } {
  const frames: Array<{ boardId: number; seq: number; message: Message | undefined }> = [];
  const decoder = new FrameDecoder((f: FrameView) => frames.push({ boardId: f.boardId, seq: f.seq, message: decodeMessage(f) }));
  for (let i = 0; i < bytes.length; i += chunk) decoder.push(bytes, i, Math.min(bytes.length, i + chunk));
  return { frames, decoder };
}

/** fast-check builds null-prototype records; compare plain JSON data. */
const plain = (x: unknown): unknown => JSON.parse(JSON.stringify(x));

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

// Arbitraries for every message type; floats are 32-bit so that they survive the wire exactly.
const u8 = fc.integer({ min: 0, max: 255 });
const u16 = fc.integer({ min: 0, max: 0xffff });
const u32 = fc.integer({ min: 0, max: 0xffffffff });
const i16 = fc.integer({ min: -32768, max: 32767 });
const i32 = fc.integer({ min: -2147483648, max: 2147483647 });
const f32 = fc.float({ noNaN: true, noDefaultInfinity: true });
const mode = fc.integer({ min: 0, max: 5 });
const pid: fc.Arbitrary<PidGains> = fc.record({ kp: f32, ki: f32, kd: f32, integralLimit: f32, deadband: i32, outputLimit: u16 });
const muscleStatus = fc.record({
  positionCounts: i32,
  velocityCountsPerSec: i32,
  displacementCounts: i32,
  forceMilliN: i32,
  currentCounts: i16,
  outputCentiPercent: i16,
  mode: u8,
  faults: u8,
});
export const anyMessage: fc.Arbitrary<Message> = fc.oneof(
  fc.constant({ type: "identify_request" as const }),
  fc.record({ type: fc.constant("command" as const), muscles: fc.array(fc.record({ mode, setpoint: i32 }), { minLength: 1, maxLength: MAX_MUSCLES }) }),
  fc.record({ type: fc.constant("config_board" as const), statusPeriodUs: u32, watchdogMs: u16, flags: u8 }),
  fc.record({
    type: fc.constant("config_muscle" as const),
    muscle: u8,
    position: pid,
    velocity: pid,
    displacement: pid,
    pwmLimit: u16,
    positionMin: i32,
    positionMax: i32,
    velocityMax: i32,
    displacementMin: i32,
    displacementMax: i32,
    forceMaxMilliN: i32,
    currentLimit: u16,
    metersPerCount: f32,
    spring: fc.tuple(f32, f32, f32, f32),
  }),
  fc.record({ type: fc.constant("heartbeat" as const), hostTimeUs: u32 }),
  fc.record({ type: fc.constant("estop" as const), engage: fc.boolean() }),
  fc.constant({ type: "reset" as const }),
  fc.record({
    type: fc.constant("identify" as const),
    firmwareMajor: u8,
    firmwareMinor: u8,
    firmwarePatch: u8,
    protocolVersion: u8,
    muscleCount: u8,
    jointCount: u8,
    capabilities: u16,
    reason: u8,
    uid: u32,
  }),
  fc.record({
    type: fc.constant("status" as const),
    boardTimeUs: u32,
    lastCommandSeq: u16,
    flags: u8,
    rxErrors: u16,
    muscles: fc.array(muscleStatus, { maxLength: MAX_MUSCLES }),
    joints: fc.array(u16, { maxLength: MAX_JOINTS }),
  }),
  fc.record({ type: fc.constant("config_ack" as const), ackedType: u8, muscle: u8, ackedSeq: u16, result: u8 }),
  fc.record({ type: fc.constant("heartbeat_echo" as const), hostTimeUs: u32, boardTimeUs: u32 }),
  fc.record({ type: fc.constant("fault" as const), muscle: u8, code: u8, faults: u8, boardTimeUs: u32, detail: i32 }),
);
const frameArb = fc.record({ boardId: u8, seq: u16, message: anyMessage });

describe("hardware protocol codec", () => {
  const vectors = readVectors();

  describe("CRC-16/CCITT-FALSE", () => {
    it('gives the check value 0x29B1 for "123456789"', () => {
      assert.equal(crc16(new TextEncoder().encode("123456789")), 0x29b1);
      assert.equal(CRC16_CHECK, 0x29b1);
      assert.equal(vectors.crc.check.crc, 0x29b1);
    });
  });

  describe("COBS", () => {
    it("matches the published examples", () => {
      // Independent of the vector file: the canonical encodings from the COBS paper's examples.
      const cases: Array<[string, string]> = [
        ["00", "0101"],
        ["0000", "010101"],
        ["001100", "01021101"],
        ["11220033", "0311220233"],
        ["11223344", "0511223344"],
        ["11000000", "0211010101"],
      ];
      for (const [dec, enc] of cases) {
        const src = unhex(dec);
        const dst = new Uint8Array(cobsMaxEncodedLength(src.length));
        assert.equal(hex(dst.subarray(0, cobsEncode(src, 0, src.length, dst))), enc, dec);
      }
    });

    it("encodes and decodes every golden vector", () => {
      for (const v of vectors.cobs) {
        const src = unhex(v.decoded);
        const dst = new Uint8Array(cobsMaxEncodedLength(src.length));
        assert.equal(hex(dst.subarray(0, cobsEncode(src, 0, src.length, dst))), v.encoded, v.name);
        const enc = unhex(v.encoded);
        const back = new Uint8Array(src.length + 1);
        assert.equal(hex(back.subarray(0, cobsDecode(enc, 0, enc.length, back))), v.decoded, v.name);
      }
    });

    it("round-trips any bytes, without a zero, within the worst-case overhead", () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 1200 }), (src) => {
          const dst = new Uint8Array(cobsMaxEncodedLength(src.length));
          const n = cobsEncode(src, 0, src.length, dst);
          assert.ok(n <= cobsMaxEncodedLength(src.length));
          assert.ok(!dst.subarray(0, n).includes(0));
          const back = new Uint8Array(src.length);
          assert.equal(cobsDecode(dst, 0, n, back), src.length);
          assert.deepEqual(back, src);
        }),
      );
    });

    it("rejects bad input without throwing", () => {
      const dst = new Uint8Array(16);
      assert.equal(cobsDecode(Uint8Array.from([5, 0x11, 0x22]), 0, 3, dst), -1);
      assert.equal(cobsDecode(Uint8Array.from([3, 0x11, 0]), 0, 3, dst), -1);
      assert.equal(cobsDecode(Uint8Array.from([0x20, ...new Array(31).fill(1)]), 0, 32, dst), -1); // too long for dst
    });
  });

  describe("golden frames", () => {
    it("encodes every vector message to the vector's bytes", () => {
      const e = new FrameEncoder();
      for (const v of vectors.frames) {
        assert.equal(hex(encodeMessage(e, v.boardId, v.seq, v.message)), v.wire, v.name);
        assert.equal(hex(e.lastRaw()), v.raw, v.name);
      }
    });

    it("decodes every vector's bytes to the vector's message", () => {
      for (const v of vectors.frames) {
        const { frames } = decodeAll(unhex(v.wire));
        assert.equal(frames.length, 1, v.name);
        assert.deepEqual(frames[0], { boardId: v.boardId, seq: v.seq, message: v.message }, v.name);
      }
    });

    it("covers every message type", () => {
      const types = new Set(vectors.frames.map((v) => v.message.type));
      assert.equal(types.size, 12);
      assert.equal(vectors.protocolVersion, PROTOCOL_VERSION);
    });
  });

  describe("properties", () => {
    it("round-trips every message type through encode and decode", () => {
      const e = new FrameEncoder();
      fc.assert(
        fc.property(frameArb, ({ boardId, seq, message }) => {
          const { frames } = decodeAll(encodeMessage(e, boardId, seq, message).slice());
          assert.equal(frames.length, 1);
          assert.deepEqual(plain(frames[0]), plain({ boardId, seq, message }));
        }),
        { numRuns: 500 },
      );
    });

    it("decodes the same frames whatever the chunking of the stream", () => {
      const e = new FrameEncoder();
      fc.assert(
        fc.property(fc.array(frameArb, { minLength: 1, maxLength: 8 }), fc.integer({ min: 1, max: 64 }), (list, chunk) => {
          const stream = concat(list.map((f) => encodeMessage(e, f.boardId, f.seq, f.message).slice()));
          assert.deepEqual(plain(decodeAll(stream, chunk).frames), plain(list));
        }),
        { numRuns: 200 },
      );
    });

    it("never throws or stalls on arbitrary bytes, and decodes a valid frame after them", () => {
      const e = new FrameEncoder();
      const good = encodeMessage(e, 3, 42, { type: "heartbeat", hostTimeUs: 7 }).slice();
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 3 * MAX_WIRE_FRAME }), fc.integer({ min: 1, max: 97 }), (garbage, chunk) => {
          const { frames, decoder } = decodeAll(concat([garbage, good]), chunk);
          assert.deepEqual(frames.at(-1), { boardId: 3, seq: 42, message: { type: "heartbeat", hostTimeUs: 7 } });
          assert.equal(decoder.counters.bytes, garbage.length + good.length);
        }),
        { numRuns: 500 },
      );
    });

    it("loses at most the one frame that a flipped bit or a garbage burst hits", () => {
      const e = new FrameEncoder();
      fc.assert(
        fc.property(
          fc.array(frameArb, { minLength: 2, maxLength: 6 }),
          fc.nat(),
          fc.integer({ min: 0, max: 7 }),
          fc.uint8Array({ minLength: 1, maxLength: 40 }),
          fc.boolean(),
          (list, where, bit, burst, flip) => {
            const parts = list.map((f) => encodeMessage(e, f.boardId, f.seq, f.message).slice());
            let stream = concat(parts);
            const at = where % stream.length;
            if (flip) {
              stream = stream.slice();
              stream[at] ^= 1 << bit;
            } else {
              stream = concat([stream.subarray(0, at), burst, stream.subarray(at)]);
            }
            const { frames } = decodeAll(stream);
            // Every decoded frame is one that was sent (the CRC catches the corruption)...
            const sent = list.map((f) => JSON.stringify(plain(f)));
            for (const f of frames) assert.ok(sent.includes(JSON.stringify(plain(f))), "a corrupted frame got through");
            // ...and at most one was lost.
            assert.ok(frames.length >= list.length - 1, `${frames.length} of ${list.length} frames decoded`);
          },
        ),
        { numRuns: 500 },
      );
    });

    it("hot-path status buffers agree with the plain messages", () => {
      const e = new FrameEncoder();
      fc.assert(
        fc.property(frameArb.filter((f) => f.message.type === "status"), ({ boardId, seq, message }) => {
          if (message.type !== "status") return;
          e.begin(boardId, MsgType.Status, seq);
          writeStatus(e, statusToBuffers(message));
          const bytes = e.finish().slice();
          const out = new StatusBuffers();
          let ok = false;
          new FrameDecoder((f) => (ok = readStatusInto(f, out))).push(bytes);
          assert.ok(ok);
          assert.deepEqual(plain(statusFromBuffers(out)), plain(message));
          assert.equal(hex(bytes), hex(encodeMessage(e, boardId, seq, message)));
        }),
        { numRuns: 100 },
      );
    });
  });

  describe("malformed frames", () => {
    const e = new FrameEncoder();
    const frameWith = (type: number, payload: number[], version = PROTOCOL_VERSION): Uint8Array => {
      e.begin(1, type, 0, version);
      for (const b of payload) e.u8(b);
      return e.finish().slice();
    };

    it("counts a bad CRC, a short frame, another version; never hands them on", () => {
      const good = frameWith(MsgType.Heartbeat, [1, 2, 3, 4]);
      const badCrc = good.slice();
      badCrc[3] ^= 0x10;
      const other = frameWith(MsgType.Heartbeat, [1, 2, 3, 4], 2);
      const { frames, decoder } = decodeAll(concat([badCrc, Uint8Array.from([0, 2, 7, 0]), other, good]));
      assert.equal(frames.length, 1);
      assert.equal(decoder.counters.crcErrors, 1);
      assert.equal(decoder.counters.tooShort, 1);
      assert.equal(decoder.counters.versionErrors, 1);
      assert.equal(decoder.counters.resyncs, 3);
    });

    it("drops a run longer than the largest frame and resumes at the next delimiter", () => {
      const good = frameWith(MsgType.Heartbeat, [1, 2, 3, 4]);
      const long = new Uint8Array(MAX_WIRE_FRAME * 2).fill(0x55);
      const { frames, decoder } = decodeAll(concat([long, good]), 13);
      assert.equal(frames.length, 1);
      assert.equal(decoder.counters.tooLong, 1);
    });

    it("decodes payloads of the wrong length or with bad values to nothing", () => {
      const bad: Array<[number, number[]]> = [
        [MsgType.Heartbeat, [1, 2, 3]],
        [MsgType.Command, [2, 1, 0, 0, 0, 0]],
        [MsgType.Command, [1, 9, 0, 0, 0, 0]],
        [MsgType.Command, [0]],
        [MsgType.EStop, [2]],
        [MsgType.Reset, [0x52, 0x53, 0x54, 0x22]],
        [MsgType.Status, [0, 0, 0, 0, 0, 0, 0, 0, 0, 17, 0]],
        [0x42, []],
      ];
      for (const [type, payload] of bad) {
        const { frames } = decodeAll(frameWith(type, payload));
        assert.equal(frames.length, 1);
        assert.equal(frames[0].message, undefined, `type 0x${type.toString(16)} ${payload.join(",")}`);
      }
    });

    it("a throwing frame handler is counted, and decoding goes on", () => {
      let n = 0;
      const d = new FrameDecoder(() => {
        n++;
        throw new Error("handler bug");
      });
      const good = frameWith(MsgType.Heartbeat, [1, 2, 3, 4]);
      d.push(concat([good, good]));
      assert.equal(n, 2);
      assert.equal(d.counters.handlerErrors, 2);
    });
  });
});
