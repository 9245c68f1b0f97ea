/**
 * Messages of the muscle-board protocol, version 1: their fields, and their payload encoders and
 * decoders (docs/protocol.md has the byte layout; every field is little-endian).
 *
 * Two forms:
 * - `Message`, a tagged union of plain objects: easy to build and compare; decoding allocates.
 * - `StatusBuffers` and `CommandBuffers`, preallocated typed arrays for the two messages that flow
 *   at control rate; `writeStatus`/`readStatusInto` and `writeCommand`/`readCommandInto` allocate
 *   nothing.
 * Decoders never throw: a payload of the wrong length or with out-of-range counts gives
 * `undefined` (or `false`).
 */
import type { FrameEncoder } from "./FrameEncoder.js";
import type { FrameView } from "./FrameDecoder.js";
import { CONTROL_MODE_COUNT, MAX_JOINTS, MAX_MUSCLES, MsgType, RESET_MAGIC } from "./constants.js";

export interface IdentifyRequestMessage {
  readonly type: "identify_request";
}

export interface IdentifyMessage {
  readonly type: "identify";
  readonly firmwareMajor: number;
  readonly firmwareMinor: number;
  readonly firmwarePatch: number;
  /** Highest protocol version the board speaks. */
  readonly protocolVersion: number;
  readonly muscleCount: number;
  readonly jointCount: number;
  /** `Capability` bits. */
  readonly capabilities: number;
  /** `IdentifyReason`. */
  readonly reason: number;
  /** The board's hardware serial number. */
  readonly uid: number;
}

export interface MuscleSetpoint {
  /** `ControlMode`. */
  readonly mode: number;
  /** In the mode's unit (see `ControlMode`). */
  readonly setpoint: number;
}

export interface CommandMessage {
  readonly type: "command";
  readonly muscles: readonly MuscleSetpoint[];
}

export interface ConfigBoardMessage {
  readonly type: "config_board";
  /** Period of the free-running status stream (µs); 0 for none. */
  readonly statusPeriodUs: number;
  /** Board watchdog: no COMMAND for this long (ms) puts every muscle off; 0 disables it. */
  readonly watchdogMs: number;
  /** `BoardConfigFlag` bits. */
  readonly flags: number;
}

/** Gains of one closed-loop mode; output in 0.01 % PWM per setpoint unit. */
export interface PidGains {
  readonly kp: number;
  readonly ki: number;
  readonly kd: number;
  /** Bound on the integral term's contribution (0.01 % PWM). */
  readonly integralLimit: number;
  /** Errors smaller than this (setpoint units) count as zero. */
  readonly deadband: number;
  /** Bound on the loop's output (0.01 % PWM, 0..10000). */
  readonly outputLimit: number;
}

export interface ConfigMuscleMessage {
  readonly type: "config_muscle";
  readonly muscle: number;
  readonly position: PidGains;
  readonly velocity: PidGains;
  /** Displacement loop, also used by force mode through the spring curve. */
  readonly displacement: PidGains;
  /** Largest |PWM| (0.01 %). */
  readonly pwmLimit: number;
  readonly positionMin: number;
  readonly positionMax: number;
  /** Largest |velocity| setpoint (counts/s). */
  readonly velocityMax: number;
  readonly displacementMin: number;
  readonly displacementMax: number;
  /** Largest tendon force (mN): a setpoint above is clamped; a reading above is a fault. */
  readonly forceMaxMilliN: number;
  /** Largest |current| (counts); 0 for no limit. */
  readonly currentLimit: number;
  /** Spring displacement per count (m). */
  readonly metersPerCount: number;
  /** Tendon force (N) = c0 + c1 x + c2 x^2 + c3 x^3, x the spring displacement (m). */
  readonly spring: readonly [number, number, number, number];
}

export interface HeartbeatMessage {
  readonly type: "heartbeat";
  readonly hostTimeUs: number;
}

export interface EStopMessage {
  readonly type: "estop";
  readonly engage: boolean;
}

export interface ResetMessage {
  readonly type: "reset";
}

export interface MuscleStatus {
  readonly positionCounts: number;
  readonly velocityCountsPerSec: number;
  readonly displacementCounts: number;
  readonly forceMilliN: number;
  readonly currentCounts: number;
  /** Motor output (0.01 % PWM). */
  readonly outputCentiPercent: number;
  readonly mode: number;
  /** `MuscleFault` bits. */
  readonly faults: number;
}

export interface StatusMessage {
  readonly type: "status";
  readonly boardTimeUs: number;
  readonly lastCommandSeq: number;
  /** `BoardFlag` bits. */
  readonly flags: number;
  /** Frames the board dropped (bad CRC, COBS or length), modulo 2^16. */
  readonly rxErrors: number;
  readonly muscles: readonly MuscleStatus[];
  /** 12-bit absolute joint angles (0..4095), `JOINT_INVALID` when unavailable. */
  readonly joints: readonly number[];
}

export interface ConfigAckMessage {
  readonly type: "config_ack";
  readonly ackedType: number;
  /** Muscle index, or 0xFF for a board configuration. */
  readonly muscle: number;
  readonly ackedSeq: number;
  /** `AckResult`. */
  readonly result: number;
}

export interface HeartbeatEchoMessage {
  readonly type: "heartbeat_echo";
  readonly hostTimeUs: number;
  readonly boardTimeUs: number;
}

export interface FaultMessage {
  readonly type: "fault";
  /** Muscle index, or 0xFF for the board. */
  readonly muscle: number;
  /** `FaultCode`. */
  readonly code: number;
  /** The muscle's `MuscleFault` bits now. */
  readonly faults: number;
  readonly boardTimeUs: number;
  /** A value that goes with the code (a current, a force, the bad muscle count). */
  readonly detail: number;
}

export type HostMessage =
  | IdentifyRequestMessage
  | CommandMessage
  | ConfigBoardMessage
  | ConfigMuscleMessage
  | HeartbeatMessage
  | EStopMessage
  | ResetMessage;
export type BoardMessage = IdentifyMessage | StatusMessage | ConfigAckMessage | HeartbeatEchoMessage | FaultMessage;
export type Message = HostMessage | BoardMessage;

export const MESSAGE_TYPE_CODES: Readonly<Record<Message["type"], number>> = {
  identify_request: MsgType.IdentifyRequest,
  command: MsgType.Command,
  config_board: MsgType.ConfigBoard,
  config_muscle: MsgType.ConfigMuscle,
  heartbeat: MsgType.Heartbeat,
  estop: MsgType.EStop,
  reset: MsgType.Reset,
  identify: MsgType.Identify,
  status: MsgType.Status,
  config_ack: MsgType.ConfigAck,
  heartbeat_echo: MsgType.HeartbeatEcho,
  fault: MsgType.Fault,
};

/** Payload sizes (bytes). */
export const IDENTIFY_SIZE = 13;
export const COMMAND_HEADER_SIZE = 1;
export const COMMAND_MUSCLE_SIZE = 5;
export const CONFIG_BOARD_SIZE = 7;
export const PID_SIZE = 22;
export const CONFIG_MUSCLE_SIZE = 1 + 3 * PID_SIZE + 2 + 6 * 4 + 2 + 5 * 4;
export const STATUS_HEADER_SIZE = 11;
export const STATUS_MUSCLE_SIZE = 22;
export const STATUS_JOINT_SIZE = 2;
export const CONFIG_ACK_SIZE = 5;
export const HEARTBEAT_SIZE = 4;
export const HEARTBEAT_ECHO_SIZE = 8;
export const FAULT_SIZE = 11;

export function statusPayloadSize(muscles: number, joints: number): number {
  return STATUS_HEADER_SIZE + muscles * STATUS_MUSCLE_SIZE + joints * STATUS_JOINT_SIZE;
}

export function commandPayloadSize(muscles: number): number {
  return COMMAND_HEADER_SIZE + muscles * COMMAND_MUSCLE_SIZE;
}

// ---------------------------------------------------------------------------------------------
// Hot-path forms

/** A status in preallocated arrays (room for `MAX_MUSCLES` and `MAX_JOINTS`; the counts say how many are valid). */
export class StatusBuffers {
  boardTimeUs = 0;
  lastCommandSeq = 0;
  flags = 0;
  rxErrors = 0;
  muscleCount = 0;
  jointCount = 0;
  readonly positionCounts = new Int32Array(MAX_MUSCLES);
  readonly velocityCountsPerSec = new Int32Array(MAX_MUSCLES);
  readonly displacementCounts = new Int32Array(MAX_MUSCLES);
  readonly forceMilliN = new Int32Array(MAX_MUSCLES);
  readonly currentCounts = new Int16Array(MAX_MUSCLES);
  readonly outputCentiPercent = new Int16Array(MAX_MUSCLES);
  readonly mode = new Uint8Array(MAX_MUSCLES);
  readonly faults = new Uint8Array(MAX_MUSCLES);
  readonly joints = new Uint16Array(MAX_JOINTS);
}

/** A command in preallocated arrays. */
export class CommandBuffers {
  muscleCount = 0;
  readonly mode = new Uint8Array(MAX_MUSCLES);
  readonly setpoint = new Int32Array(MAX_MUSCLES);
}

/** Writes a STATUS payload (after `encoder.begin(...)`). */
export function writeStatus(e: FrameEncoder, s: StatusBuffers): void {
  e.u32(s.boardTimeUs).u16(s.lastCommandSeq).u8(s.flags).u16(s.rxErrors).u8(s.muscleCount).u8(s.jointCount);
  for (let i = 0; i < s.muscleCount; i++) {
    e.i32(s.positionCounts[i])
      .i32(s.velocityCountsPerSec[i])
      .i32(s.displacementCounts[i])
      .i32(s.forceMilliN[i])
      .i16(s.currentCounts[i])
      .i16(s.outputCentiPercent[i])
      .u8(s.mode[i])
      .u8(s.faults[i]);
  }
  for (let j = 0; j < s.jointCount; j++) e.u16(s.joints[j]);
}

/** Reads a STATUS payload into `out`; false (and `out` partly unchanged) when malformed. */
export function readStatusInto(f: FrameView, out: StatusBuffers): boolean {
  const v = f.view;
  let p = f.payloadStart;
  const len = f.payloadEnd - p;
  if (len < STATUS_HEADER_SIZE) return false;
  const n = f.bytes[p + 9];
  const m = f.bytes[p + 10];
  if (n > MAX_MUSCLES || m > MAX_JOINTS || len !== statusPayloadSize(n, m)) return false;
  out.boardTimeUs = v.getUint32(p, true);
  out.lastCommandSeq = v.getUint16(p + 4, true);
  out.flags = f.bytes[p + 6];
  out.rxErrors = v.getUint16(p + 7, true);
  out.muscleCount = n;
  out.jointCount = m;
  p += STATUS_HEADER_SIZE;
  for (let i = 0; i < n; i++, p += STATUS_MUSCLE_SIZE) {
    out.positionCounts[i] = v.getInt32(p, true);
    out.velocityCountsPerSec[i] = v.getInt32(p + 4, true);
    out.displacementCounts[i] = v.getInt32(p + 8, true);
    out.forceMilliN[i] = v.getInt32(p + 12, true);
    out.currentCounts[i] = v.getInt16(p + 16, true);
    out.outputCentiPercent[i] = v.getInt16(p + 18, true);
    out.mode[i] = f.bytes[p + 20];
    out.faults[i] = f.bytes[p + 21];
  }
  for (let j = 0; j < m; j++, p += STATUS_JOINT_SIZE) out.joints[j] = v.getUint16(p, true);
  return true;
}

/** Writes a COMMAND payload. */
export function writeCommand(e: FrameEncoder, c: CommandBuffers): void {
  e.u8(c.muscleCount);
  for (let i = 0; i < c.muscleCount; i++) e.u8(c.mode[i]).i32(c.setpoint[i]);
}

/** Reads a COMMAND payload into `out`; false when malformed (a count of 0 or over 16, a wrong length, an unknown mode). */
export function readCommandInto(f: FrameView, out: CommandBuffers): boolean {
  const p = f.payloadStart;
  const len = f.payloadEnd - p;
  if (len < COMMAND_HEADER_SIZE) return false;
  const n = f.bytes[p];
  if (n < 1 || n > MAX_MUSCLES || len !== commandPayloadSize(n)) return false;
  for (let i = 0, q = p + 1; i < n; i++, q += COMMAND_MUSCLE_SIZE) {
    if (f.bytes[q] >= CONTROL_MODE_COUNT) return false;
  }
  out.muscleCount = n;
  for (let i = 0, q = p + 1; i < n; i++, q += COMMAND_MUSCLE_SIZE) {
    out.mode[i] = f.bytes[q];
    out.setpoint[i] = f.view.getInt32(q + 1, true);
  }
  return true;
}

// ---------------------------------------------------------------------------------------------
// Plain messages

function writePid(e: FrameEncoder, g: PidGains): void {
  e.f32(g.kp).f32(g.ki).f32(g.kd).f32(g.integralLimit).i32(g.deadband).u16(g.outputLimit);
}

function readPid(v: DataView, p: number): PidGains {
  return {
    kp: v.getFloat32(p, true),
    ki: v.getFloat32(p + 4, true),
    kd: v.getFloat32(p + 8, true),
    integralLimit: v.getFloat32(p + 12, true),
    deadband: v.getInt32(p + 16, true),
    outputLimit: v.getUint16(p + 20, true),
  };
}

/** Writes the payload of any message (after `encoder.begin(...)` with its type code). */
export function writePayload(e: FrameEncoder, msg: Message): void {
  switch (msg.type) {
    case "identify_request":
      return;
    case "reset":
      e.u32(RESET_MAGIC);
      return;
    case "command": {
      e.u8(msg.muscles.length);
      for (const m of msg.muscles) e.u8(m.mode).i32(m.setpoint);
      return;
    }
    case "config_board":
      e.u32(msg.statusPeriodUs).u16(msg.watchdogMs).u8(msg.flags);
      return;
    case "config_muscle":
      e.u8(msg.muscle);
      writePid(e, msg.position);
      writePid(e, msg.velocity);
      writePid(e, msg.displacement);
      e.u16(msg.pwmLimit).i32(msg.positionMin).i32(msg.positionMax).i32(msg.velocityMax);
      e.i32(msg.displacementMin).i32(msg.displacementMax).i32(msg.forceMaxMilliN).u16(msg.currentLimit);
      e.f32(msg.metersPerCount).f32(msg.spring[0]).f32(msg.spring[1]).f32(msg.spring[2]).f32(msg.spring[3]);
      return;
    case "heartbeat":
      e.u32(msg.hostTimeUs);
      return;
    case "estop":
      e.u8(msg.engage ? 1 : 0);
      return;
    case "identify":
      e.u8(msg.firmwareMajor).u8(msg.firmwareMinor).u8(msg.firmwarePatch).u8(msg.protocolVersion);
      e.u8(msg.muscleCount).u8(msg.jointCount).u16(msg.capabilities).u8(msg.reason).u32(msg.uid);
      return;
    case "status": {
      e.u32(msg.boardTimeUs).u16(msg.lastCommandSeq).u8(msg.flags).u16(msg.rxErrors).u8(msg.muscles.length).u8(msg.joints.length);
      for (const m of msg.muscles) {
        e.i32(m.positionCounts).i32(m.velocityCountsPerSec).i32(m.displacementCounts).i32(m.forceMilliN);
        e.i16(m.currentCounts).i16(m.outputCentiPercent).u8(m.mode).u8(m.faults);
      }
      for (const j of msg.joints) e.u16(j);
      return;
    }
    case "config_ack":
      e.u8(msg.ackedType).u8(msg.muscle).u16(msg.ackedSeq).u8(msg.result);
      return;
    case "heartbeat_echo":
      e.u32(msg.hostTimeUs).u32(msg.boardTimeUs);
      return;
    case "fault":
      e.u8(msg.muscle).u8(msg.code).u8(msg.faults).u32(msg.boardTimeUs).i32(msg.detail);
      return;
  }
}

/** Begins, writes and finishes a frame for `msg`; returns the encoder's view of the wire bytes. */
export function encodeMessage(e: FrameEncoder, boardId: number, seq: number, msg: Message): Uint8Array {
  e.begin(boardId, MESSAGE_TYPE_CODES[msg.type], seq);
  writePayload(e, msg);
  return e.finish();
}

/** Decodes a frame's payload into a plain message; `undefined` for an unknown type or a malformed payload. */
export function decodeMessage(f: FrameView): Message | undefined {
  const v = f.view;
  const b = f.bytes;
  const p = f.payloadStart;
  const len = f.payloadEnd - p;
  switch (f.type) {
    case MsgType.IdentifyRequest:
      return len === 0 ? { type: "identify_request" } : undefined;
    case MsgType.Reset:
      return len === 4 && v.getUint32(p, true) === RESET_MAGIC ? { type: "reset" } : undefined;
    case MsgType.Command: {
      const c = new CommandBuffers();
      if (!readCommandInto(f, c)) return undefined;
      const muscles: MuscleSetpoint[] = [];
      for (let i = 0; i < c.muscleCount; i++) muscles.push({ mode: c.mode[i], setpoint: c.setpoint[i] });
      return { type: "command", muscles };
    }
    case MsgType.ConfigBoard:
      if (len !== CONFIG_BOARD_SIZE) return undefined;
      return { type: "config_board", statusPeriodUs: v.getUint32(p, true), watchdogMs: v.getUint16(p + 4, true), flags: b[p + 6] };
    case MsgType.ConfigMuscle: {
      if (len !== CONFIG_MUSCLE_SIZE) return undefined;
      let q = p + 1;
      const position = readPid(v, q);
      const velocity = readPid(v, (q += PID_SIZE));
      const displacement = readPid(v, (q += PID_SIZE));
      q += PID_SIZE;
      return {
        type: "config_muscle",
        muscle: b[p],
        position,
        velocity,
        displacement,
        pwmLimit: v.getUint16(q, true),
        positionMin: v.getInt32(q + 2, true),
        positionMax: v.getInt32(q + 6, true),
        velocityMax: v.getInt32(q + 10, true),
        displacementMin: v.getInt32(q + 14, true),
        displacementMax: v.getInt32(q + 18, true),
        forceMaxMilliN: v.getInt32(q + 22, true),
        currentLimit: v.getUint16(q + 26, true),
        metersPerCount: v.getFloat32(q + 28, true),
        spring: [v.getFloat32(q + 32, true), v.getFloat32(q + 36, true), v.getFloat32(q + 40, true), v.getFloat32(q + 44, true)],
      };
    }
    case MsgType.Heartbeat:
      return len === HEARTBEAT_SIZE ? { type: "heartbeat", hostTimeUs: v.getUint32(p, true) } : undefined;
    case MsgType.EStop:
      return len === 1 && b[p] <= 1 ? { type: "estop", engage: b[p] === 1 } : undefined;
    case MsgType.Identify:
      if (len !== IDENTIFY_SIZE) return undefined;
      return {
        type: "identify",
        firmwareMajor: b[p],
        firmwareMinor: b[p + 1],
        firmwarePatch: b[p + 2],
        protocolVersion: b[p + 3],
        muscleCount: b[p + 4],
        jointCount: b[p + 5],
        capabilities: v.getUint16(p + 6, true),
        reason: b[p + 8],
        uid: v.getUint32(p + 9, true),
      };
    case MsgType.Status: {
      const s = new StatusBuffers();
      if (!readStatusInto(f, s)) return undefined;
      return statusFromBuffers(s);
    }
    case MsgType.ConfigAck:
      if (len !== CONFIG_ACK_SIZE) return undefined;
      return { type: "config_ack", ackedType: b[p], muscle: b[p + 1], ackedSeq: v.getUint16(p + 2, true), result: b[p + 4] };
    case MsgType.HeartbeatEcho:
      if (len !== HEARTBEAT_ECHO_SIZE) return undefined;
      return { type: "heartbeat_echo", hostTimeUs: v.getUint32(p, true), boardTimeUs: v.getUint32(p + 4, true) };
    case MsgType.Fault:
      if (len !== FAULT_SIZE) return undefined;
      return { type: "fault", muscle: b[p], code: b[p + 1], faults: b[p + 2], boardTimeUs: v.getUint32(p + 3, true), detail: v.getInt32(p + 7, true) };
    default:
      return undefined;
  }
}

/** A plain status message from buffers (allocates). */
export function statusFromBuffers(s: StatusBuffers): StatusMessage {
  const muscles: MuscleStatus[] = [];
  for (let i = 0; i < s.muscleCount; i++) {
    muscles.push({
      positionCounts: s.positionCounts[i],
      velocityCountsPerSec: s.velocityCountsPerSec[i],
      displacementCounts: s.displacementCounts[i],
      forceMilliN: s.forceMilliN[i],
      currentCounts: s.currentCounts[i],
      outputCentiPercent: s.outputCentiPercent[i],
      mode: s.mode[i],
      faults: s.faults[i],
    });
  }
  return {
    type: "status",
    boardTimeUs: s.boardTimeUs,
    lastCommandSeq: s.lastCommandSeq,
    flags: s.flags,
    rxErrors: s.rxErrors,
    muscles,
    joints: Array.from(s.joints.subarray(0, s.jointCount)),
  };
}

/** Fills buffers from a plain status message. */
export function statusToBuffers(msg: StatusMessage, out: StatusBuffers = new StatusBuffers()): StatusBuffers {
  out.boardTimeUs = msg.boardTimeUs;
  out.lastCommandSeq = msg.lastCommandSeq;
  out.flags = msg.flags;
  out.rxErrors = msg.rxErrors;
  out.muscleCount = msg.muscles.length;
  out.jointCount = msg.joints.length;
  msg.muscles.forEach((m, i) => {
    out.positionCounts[i] = m.positionCounts;
    out.velocityCountsPerSec[i] = m.velocityCountsPerSec;
    out.displacementCounts[i] = m.displacementCounts;
    out.forceMilliN[i] = m.forceMilliN;
    out.currentCounts[i] = m.currentCounts;
    out.outputCentiPercent[i] = m.outputCentiPercent;
    out.mode[i] = m.mode;
    out.faults[i] = m.faults;
  });
  msg.joints.forEach((j, k) => (out.joints[k] = j));
  return out;
}
