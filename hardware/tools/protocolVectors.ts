/**
 * Golden vectors of the muscle-board protocol: one JSON file (hardware/protocol-vectors.json) that
 * both codecs are tested against: the TypeScript one (test/hardware/codec.test.ts) and the C one
 * (hardware/firmware/test/test_protocol.c, through the generated vectors.h).
 *
 * The JSON is the source of truth and is committed; once written it is frozen, so that a change
 * to an encoder shows as a failing vector rather than a silently regenerated one. This module:
 * - `buildVectors()`: the vectors from the current TypeScript codec (used once, to write the file
 *   when the protocol version changes);
 * - `vectorsHeader(json)`: the C header for the firmware tests, generated from the JSON.
 *
 * `node --import tsx hardware/tools/protocolVectors.ts --header` rewrites vectors.h from the JSON;
 * `--json` rewrites the JSON from the codec (only with a new protocol version).
 */
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { cobsEncode, cobsMaxEncodedLength } from "../protocol/cobs.js";
import { CRC16_CHECK } from "../protocol/crc16.js";
import { FrameEncoder } from "../protocol/FrameEncoder.js";
import { encodeMessage, type Message, type PidGains } from "../protocol/messages.js";
import { MAX_JOINTS, MAX_MUSCLES, PROTOCOL_VERSION } from "../protocol/constants.js";

const here = path.dirname(fileURLToPath(import.meta.url));
export const VECTORS_PATH = path.resolve(here, "..", "protocol-vectors.json");
export const HEADER_PATH = path.resolve(here, "..", "firmware", "test", "vectors.h");

export interface CobsVector {
  readonly name: string;
  readonly decoded: string;
  readonly encoded: string;
}

export interface FrameVector {
  readonly name: string;
  readonly boardId: number;
  readonly seq: number;
  readonly message: Message;
  /** Header, payload and CRC, before COBS (hex). */
  readonly raw: string;
  /** On the wire: 00, COBS(raw), 00 (hex). */
  readonly wire: string;
}

export interface ProtocolVectors {
  readonly protocolVersion: number;
  readonly crc: { readonly algorithm: string; readonly check: { readonly input: string; readonly crc: number } };
  readonly cobs: readonly CobsVector[];
  readonly frames: readonly FrameVector[];
}

export const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");
export const unhex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, "hex"));

const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

function cobsVector(name: string, bytes: number[]): CobsVector {
  const src = Uint8Array.from(bytes);
  const dst = new Uint8Array(cobsMaxEncodedLength(src.length));
  const n = cobsEncode(src, 0, src.length, dst, 0);
  return { name, decoded: hex(src), encoded: hex(dst.subarray(0, n)) };
}

const pid = (kp: number, ki: number, kd: number, integralLimit: number, deadband: number, outputLimit: number): PidGains => ({ kp, ki, kd, integralLimit, deadband, outputLimit });

export function buildVectors(): ProtocolVectors {
  const cobs = [
    cobsVector("empty", []),
    cobsVector("one zero", [0x00]),
    cobsVector("two zeros", [0x00, 0x00]),
    cobsVector("zero 11 zero", [0x00, 0x11, 0x00]),
    cobsVector("11 22 00 33", [0x11, 0x22, 0x00, 0x33]),
    cobsVector("11 22 33 44", [0x11, 0x22, 0x33, 0x44]),
    cobsVector("11 00 00 00", [0x11, 0x00, 0x00, 0x00]),
    cobsVector("01..FE (254 non-zero bytes)", range(0x01, 0xfe)),
    cobsVector("00 01..FE", [0x00, ...range(0x01, 0xfe)]),
    cobsVector("01..FF (255 non-zero bytes)", range(0x01, 0xff)),
    cobsVector("02..FF 00", [...range(0x02, 0xff), 0x00]),
    cobsVector("03..FF 00 01", [...range(0x03, 0xff), 0x00, 0x01]),
  ];
  const muscles3 = [
    { positionCounts: 123456, velocityCountsPerSec: -2500, displacementCounts: 1333, forceMilliN: 59874, currentCounts: 41, outputCentiPercent: 3000, mode: 1, faults: 0 },
    { positionCounts: -98765, velocityCountsPerSec: 0, displacementCounts: 0, forceMilliN: 0, currentCounts: -3, outputCentiPercent: -1200, mode: 0, faults: 0x40 },
    { positionCounts: 2147483647, velocityCountsPerSec: -2147483648, displacementCounts: -1, forceMilliN: 250000, currentCounts: 32767, outputCentiPercent: 10000, mode: 5, faults: 0x82 },
  ];
  const many = Array.from({ length: MAX_MUSCLES }, (_, i) => ({
    positionCounts: 1000 * (i + 1),
    velocityCountsPerSec: -17 * i,
    displacementCounts: 77 + i,
    forceMilliN: 5000 + 13 * i,
    currentCounts: 20 + i,
    outputCentiPercent: 250 * i,
    mode: 1 + (i % 5),
    faults: i % 3,
  }));
  const messages: Array<[string, number, number, Message]> = [
    ["identify_request", 1, 0, { type: "identify_request" }],
    ["identify_request broadcast", 255, 9, { type: "identify_request" }],
    [
      "command 3 muscles",
      2,
      513,
      { type: "command", muscles: [{ mode: 1, setpoint: 2500 }, { mode: 5, setpoint: 40000 }, { mode: 2, setpoint: -123456 }] },
    ],
    ["command 1 muscle off", 7, 65535, { type: "command", muscles: [{ mode: 0, setpoint: 0 }] }],
    ["config_board", 1, 3, { type: "config_board", statusPeriodUs: 2000, watchdogMs: 100, flags: 1 }],
    [
      "config_muscle",
      1,
      4,
      {
        type: "config_muscle",
        muscle: 2,
        position: pid(0.5, 0.25, 0, 1000, 3, 5000),
        velocity: pid(1.5, 0, -0.125, 0, 0, 10000),
        displacement: pid(3.5, 0.75, 0.0625, 2500, 1, 8000),
        pwmLimit: 5000,
        positionMin: -2147483648,
        positionMax: 2147483647,
        velocityMax: 345600,
        displacementMin: 0,
        displacementMax: 1334,
        forceMaxMilliN: 100000,
        currentLimit: 250,
        metersPerCount: 2 ** -16,
        spring: [0, 4000, -0.5, 20000000],
      },
    ],
    ["heartbeat", 3, 100, { type: "heartbeat", hostTimeUs: 4294967295 }],
    ["estop engage broadcast", 255, 1, { type: "estop", engage: true }],
    ["estop release", 1, 2, { type: "estop", engage: false }],
    ["reset", 4, 5, { type: "reset" }],
    [
      "identify",
      1,
      0,
      { type: "identify", firmwareMajor: 1, firmwareMinor: 2, firmwarePatch: 3, protocolVersion: 1, muscleCount: 6, jointCount: 2, capabilities: 0x01ff, reason: 1, uid: 0x7e4d0001 },
    ],
    [
      "status 3 muscles 2 joints",
      2,
      1234,
      { type: "status", boardTimeUs: 3000000000, lastCommandSeq: 513, flags: 0x19, rxErrors: 2, muscles: muscles3, joints: [205, 4095] },
    ],
    ["status 1 muscle", 9, 0, { type: "status", boardTimeUs: 0, lastCommandSeq: 0, flags: 0, rxErrors: 0, muscles: [muscles3[1]], joints: [] }],
    [
      "status 16 muscles 4 joints",
      1,
      40000,
      { type: "status", boardTimeUs: 123456789, lastCommandSeq: 39999, flags: 0x1b, rxErrors: 65535, muscles: many, joints: Array.from({ length: MAX_JOINTS }, (_, j) => 1000 * j + 1) },
    ],
    ["config_ack ok", 1, 5, { type: "config_ack", ackedType: 0x04, muscle: 2, ackedSeq: 4, result: 0 }],
    ["config_ack board bad value", 1, 6, { type: "config_ack", ackedType: 0x03, muscle: 255, ackedSeq: 3, result: 2 }],
    ["heartbeat_echo", 3, 77, { type: "heartbeat_echo", hostTimeUs: 4294967295, boardTimeUs: 16 }],
    ["fault over-force", 2, 300, { type: "fault", muscle: 1, code: 2, faults: 0x02, boardTimeUs: 5000000, detail: 260123 }],
    ["fault watchdog board", 2, 301, { type: "fault", muscle: 255, code: 7, faults: 0x40, boardTimeUs: 5100000, detail: -100 }],
  ];
  const e = new FrameEncoder();
  const frames = messages.map(([name, boardId, seq, message]) => {
    const wire = encodeMessage(e, boardId, seq, message).slice();
    return { name, boardId, seq, message, raw: hex(e.lastRaw()), wire: hex(wire) };
  });
  return {
    protocolVersion: PROTOCOL_VERSION,
    crc: { algorithm: "CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF, no reflection, no final XOR)", check: { input: "123456789", crc: CRC16_CHECK } },
    cobs,
    frames,
  };
}

export function readVectors(file = VECTORS_PATH): ProtocolVectors {
  return JSON.parse(fs.readFileSync(file, "utf8")) as ProtocolVectors;
}

// ---------------------------------------------------------------------------------------------
// C header

const cBytes = (h: string): string => {
  const b = unhex(h);
  if (b.length === 0) return "{0}";
  const parts: string[] = [];
  for (let i = 0; i < b.length; i += 16) parts.push(Array.from(b.subarray(i, i + 16), (x) => `0x${x.toString(16).padStart(2, "0")}`).join(", "));
  return `{\n    ${parts.join(",\n    ")}\n  }`;
};
const cStr = (s: string): string => JSON.stringify(s);
const cFloat = (v: number): string => {
  if (!Number.isFinite(v)) throw new RangeError(`vector float ${v} is not finite`);
  const s = Number.isInteger(v) ? `${v}.0` : `${v}`;
  return `${s}f`;
};
const cInt = (v: number): string => (v === -2147483648 ? "INT32_MIN" : `${v}`);
const cPid = (g: PidGains): string => `{${cFloat(g.kp)}, ${cFloat(g.ki)}, ${cFloat(g.kd)}, ${cFloat(g.integralLimit)}, ${g.deadband}, ${g.outputLimit}}`;

function cMessage(m: Message): string {
  switch (m.type) {
    case "identify_request":
    case "reset":
      return "{0}";
    case "command":
      return `{${m.muscles.length}, {${m.muscles.map((x) => `{${x.mode}, ${cInt(x.setpoint)}}`).join(", ")}}}`;
    case "config_board":
      return `{${m.statusPeriodUs}u, ${m.watchdogMs}, ${m.flags}}`;
    case "config_muscle":
      return `{${m.muscle}, ${cPid(m.position)}, ${cPid(m.velocity)}, ${cPid(m.displacement)}, ${m.pwmLimit}, ${cInt(m.positionMin)}, ${cInt(m.positionMax)}, ${cInt(m.velocityMax)}, ${cInt(m.displacementMin)}, ${cInt(m.displacementMax)}, ${cInt(m.forceMaxMilliN)}, ${m.currentLimit}, ${cFloat(m.metersPerCount)}, {${m.spring.map(cFloat).join(", ")}}}`;
    case "heartbeat":
      return `{${m.hostTimeUs}u}`;
    case "estop":
      return `{${m.engage ? 1 : 0}}`;
    case "identify":
      return `{${m.firmwareMajor}, ${m.firmwareMinor}, ${m.firmwarePatch}, ${m.protocolVersion}, ${m.muscleCount}, ${m.jointCount}, ${m.capabilities}, ${m.reason}, ${m.uid}u}`;
    case "status":
      return `{${m.boardTimeUs}u, ${m.lastCommandSeq}, ${m.flags}, ${m.rxErrors}, ${m.muscles.length}, ${m.joints.length}, {${m.muscles
        .map((x) => `{${cInt(x.positionCounts)}, ${cInt(x.velocityCountsPerSec)}, ${cInt(x.displacementCounts)}, ${cInt(x.forceMilliN)}, ${x.currentCounts}, ${x.outputCentiPercent}, ${x.mode}, ${x.faults}}`)
        .join(",\n      ")}}, {${m.joints.join(", ") || "0"}}}`;
    case "config_ack":
      return `{${m.ackedType}, ${m.muscle}, ${m.ackedSeq}, ${m.result}}`;
    case "heartbeat_echo":
      return `{${m.hostTimeUs}u, ${m.boardTimeUs}u}`;
    case "fault":
      return `{${m.muscle}, ${m.code}, ${m.faults}, ${m.boardTimeUs}u, ${cInt(m.detail)}}`;
  }
}

const C_TYPES: Record<Message["type"], string> = {
  identify_request: "tp_empty_t",
  reset: "tp_empty_t",
  command: "tp_command_t",
  config_board: "tp_config_board_t",
  config_muscle: "tp_config_muscle_t",
  heartbeat: "tp_heartbeat_t",
  estop: "tp_estop_t",
  identify: "tp_identify_t",
  status: "tp_status_t",
  config_ack: "tp_config_ack_t",
  heartbeat_echo: "tp_heartbeat_echo_t",
  fault: "tp_fault_t",
};

/** The C header for the firmware tests, from the vectors. */
export function vectorsHeader(v: ProtocolVectors): string {
  const out: string[] = [
    "/* Generated from hardware/protocol-vectors.json by hardware/tools/protocolVectors.ts --header. Do not edit. */",
    "#ifndef TENDON_PROTOCOL_VECTORS_H",
    "#define TENDON_PROTOCOL_VECTORS_H",
    "#include <stddef.h>",
    "#include <stdint.h>",
    '#include "../protocol.h"',
    "",
    `#define TV_PROTOCOL_VERSION ${v.protocolVersion}`,
    `#define TV_CRC_CHECK_INPUT ${cStr(v.crc.check.input)}`,
    `#define TV_CRC_CHECK 0x${v.crc.check.crc.toString(16).toUpperCase()}u`,
    "",
    "typedef struct { const char *name; const uint8_t *decoded; size_t decoded_len; const uint8_t *encoded; size_t encoded_len; } tv_cobs_t;",
    "",
  ];
  v.cobs.forEach((c, i) => {
    out.push(`static const uint8_t tv_cobs_${i}_decoded[] = ${cBytes(c.decoded)};`);
    out.push(`static const uint8_t tv_cobs_${i}_encoded[] = ${cBytes(c.encoded)};`);
  });
  out.push(
    `static const tv_cobs_t TV_COBS[] = {\n${v.cobs.map((c, i) => `  {${cStr(c.name)}, tv_cobs_${i}_decoded, ${unhex(c.decoded).length}, tv_cobs_${i}_encoded, ${unhex(c.encoded).length}}`).join(",\n")}\n};`,
    `#define TV_COBS_COUNT ${v.cobs.length}`,
    "",
    "/* One frame vector: the wire bytes, and the message they hold. */",
    "typedef struct {",
    "  const char *name;",
    "  uint8_t type;",
    "  uint8_t board_id;",
    "  uint16_t seq;",
    "  const uint8_t *wire;",
    "  size_t wire_len;",
    "  const void *message;",
    "} tv_frame_t;",
    "",
  );
  v.frames.forEach((f, i) => {
    out.push(`static const uint8_t tv_frame_${i}_wire[] = ${cBytes(f.wire)};`);
    out.push(`static const ${C_TYPES[f.message.type]} tv_frame_${i}_message = ${cMessage(f.message)};`);
  });
  const typeCode = (f: FrameVector): number => unhex(f.raw)[2];
  out.push(
    `static const tv_frame_t TV_FRAMES[] = {\n${v.frames
      .map((f, i) => `  {${cStr(f.name)}, 0x${typeCode(f).toString(16)}, ${f.boardId}, ${f.seq}, tv_frame_${i}_wire, ${unhex(f.wire).length}, &tv_frame_${i}_message}`)
      .join(",\n")}\n};`,
    `#define TV_FRAME_COUNT ${v.frames.length}`,
    "",
    "#endif",
    "",
  );
  return out.join("\n");
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  if (process.argv.includes("--json")) {
    fs.writeFileSync(VECTORS_PATH, `${JSON.stringify(buildVectors(), null, 2)}\n`);
    process.stdout.write(`wrote ${VECTORS_PATH}\n`);
  }
  if (process.argv.includes("--header")) {
    fs.writeFileSync(HEADER_PATH, vectorsHeader(readVectors()));
    process.stdout.write(`wrote ${HEADER_PATH}\n`);
  }
}
