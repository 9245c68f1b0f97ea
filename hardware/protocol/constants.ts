/**
 * Constants of the muscle-board wire protocol, version 1 (docs/protocol.md). Shared by the
 * codec, the host driver and the board simulator; hardware/firmware/protocol.h mirrors them.
 */
import { cobsMaxEncodedLength } from "./cobs.js";

export const PROTOCOL_VERSION = 1;
/** version u8 | board id u8 | message type u8 | sequence number u16 */
export const HEADER_SIZE = 5;
export const CRC_SIZE = 2;
export const MAX_MUSCLES = 16;
export const MAX_JOINTS = 4;
export const MAX_PAYLOAD = 400;
/** Largest frame before COBS: header, payload, CRC. */
export const MAX_RAW_FRAME = HEADER_SIZE + MAX_PAYLOAD + CRC_SIZE;
/** Largest frame on the wire: leading delimiter, COBS of the raw frame, trailing delimiter. */
export const MAX_WIRE_FRAME = 1 + cobsMaxEncodedLength(MAX_RAW_FRAME) + 1;

/** Host-to-board messages addressed to this id reach every board on the link. */
export const BROADCAST_ID = 0xff;
export const MIN_BOARD_ID = 1;
export const MAX_BOARD_ID = 254;

export const MsgType = {
  // host -> board
  IdentifyRequest: 0x01,
  Command: 0x02,
  ConfigBoard: 0x03,
  ConfigMuscle: 0x04,
  Heartbeat: 0x05,
  EStop: 0x06,
  Reset: 0x07,
  // board -> host
  Identify: 0x81,
  Status: 0x82,
  ConfigAck: 0x83,
  HeartbeatEcho: 0x85,
  Fault: 0x88,
} as const;
export type MsgTypeCode = (typeof MsgType)[keyof typeof MsgType];

export const ControlMode = {
  Off: 0,
  /** Setpoint in 0.01 % of full PWM, -10000..10000. */
  Pwm: 1,
  /** Setpoint in encoder counts. */
  Position: 2,
  /** Setpoint in encoder counts per second. */
  Velocity: 3,
  /** Setpoint in spring displacement counts. */
  Displacement: 4,
  /** Setpoint in mN of tendon force (through the spring calibration). */
  Force: 5,
} as const;
export type ControlModeCode = (typeof ControlMode)[keyof typeof ControlMode];
export const CONTROL_MODE_COUNT = 6;

/** Status `flags` bits (board state). */
export const BoardFlag = {
  /** Parameters received since the last boot. */
  Configured: 0x01,
  /** The board watchdog has tripped: every muscle off until the next command. */
  Watchdog: 0x02,
  /** E-stop latched: every muscle off, commands ignored until released. */
  EStop: 0x04,
  /** A command has been applied since boot. */
  Commanded: 0x08,
  /** This status answers a command (else it is a periodic one). */
  Reply: 0x10,
} as const;

/** Per-muscle `faults` bits. */
export const MuscleFault = {
  OverCurrent: 0x01,
  OverForce: 0x02,
  PositionLimit: 0x04,
  Encoder: 0x08,
  SpringSensor: 0x10,
  OverTemperature: 0x20,
  Watchdog: 0x40,
  EStop: 0x80,
} as const;

/** `code` of a fault report. */
export const FaultCode = {
  OverCurrent: 1,
  OverForce: 2,
  PositionLimit: 3,
  Encoder: 4,
  SpringSensor: 5,
  OverTemperature: 6,
  Watchdog: 7,
  EStop: 8,
  BadCommand: 9,
  SetpointClamped: 10,
} as const;

/** IDENTIFY `capabilities` bits. */
export const Capability = {
  Pwm: 0x0001,
  Position: 0x0002,
  Velocity: 0x0004,
  Displacement: 0x0008,
  Force: 0x0010,
  CurrentSensing: 0x0020,
  JointSensors: 0x0040,
  StatusOnCommand: 0x0080,
  Simulated: 0x0100,
} as const;

/** Why a board sent IDENTIFY. */
export const IdentifyReason = { Request: 0, PowerOn: 1, HostReset: 2, BoardReset: 3 } as const;

export const AckResult = { Ok: 0, BadIndex: 1, BadValue: 2, BadLength: 3 } as const;

/** CONFIG_BOARD `flags` bits. */
export const BoardConfigFlag = {
  /** Answer every COMMAND with a STATUS at once. */
  StatusOnCommand: 0x01,
} as const;

/** RESET payload: "RST!" as bytes 52 53 54 21, so that no stray frame resets a board. */
export const RESET_MAGIC = 0x21545352;
/** Joint angle reading that means "no sensor value". */
export const JOINT_INVALID = 0xffff;
/** Range of a PWM setpoint or output (0.01 %). */
export const PWM_FULL_SCALE = 10000;
