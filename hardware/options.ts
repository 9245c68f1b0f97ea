/**
 * Options of the muscle-board bridge, their defaults, and the conversions between the spec's
 * command unit and the boards' setpoints.
 */
import type { Clock } from "../src/core/clock.js";
import type { CommandUnit } from "../src/core/spec.js";
import { DEFAULT_JOINT_CALIBRATION, DEFAULT_MUSCLE_CALIBRATION, type JointCalibration, type MuscleCalibration } from "./calibration.js";
import { ControlMode, type ControlModeCode } from "./protocol/constants.js";
import type { PidGains } from "./protocol/messages.js";

export const COMMAND_MODES = ["pwm", "position", "velocity", "displacement", "force"] as const;
export type CommandModeName = (typeof COMMAND_MODES)[number];

export interface BoardPortConfig {
  /** Device path: /dev/ttyACM0, /dev/serial/by-id/..., or a pseudo-terminal. */
  readonly path: string;
  /** Board ids on this port, in spec order; omitted: every board that answers a broadcast IDENTIFY at configure(). */
  readonly boards?: readonly number[];
  readonly baudRate?: number;
}

export interface MuscleOptions {
  readonly name?: string;
  readonly commandMin?: number;
  readonly commandMax?: number;
  readonly calibration?: Partial<MuscleCalibration>;
  readonly gains?: { readonly position?: Partial<PidGains>; readonly velocity?: Partial<PidGains>; readonly displacement?: Partial<PidGains> };
}

export interface JointOptions {
  readonly name?: string;
  readonly rangeRad?: readonly [number, number] | null;
  readonly calibration?: Partial<JointCalibration>;
}

export interface MuscleBoardBridgeOptions {
  readonly ports: readonly BoardPortConfig[];
  /** Control mode of every muscle, and so the spec's command unit. Default "pwm". */
  readonly commandMode?: CommandModeName;
  /** Default command range of every muscle, in the mode's unit (see `defaultCommandRange`). */
  readonly commandMin?: number;
  readonly commandMax?: number;
  /** Per-muscle settings, by index in the spec (ports in order, boards in order, muscles in order). */
  readonly muscles?: readonly MuscleOptions[];
  /** Per-joint settings, by index in the spec. */
  readonly joints?: readonly JointOptions[];
  /** Calibration for muscles without their own. */
  readonly calibration?: Partial<MuscleCalibration>;
  /** Rate of the boards' status stream when no commands flow (Hz). Default 500. */
  readonly statusRateHz?: number;
  /** Host watchdog: a board that sends nothing for this long (ms) is lost. Default 100. */
  readonly hostWatchdogMs?: number;
  /** Board watchdog, sent to every board: no command for this long (ms) and it turns its muscles off. Default 100. */
  readonly boardWatchdogMs?: number;
  /** read() reports a stale link when a board's latest status is older than this (ms). Default 20. */
  readonly staleAfterMs?: number;
  /** Pause between attempts to reopen a lost port (ms). Default 250. */
  readonly reconnectMs?: number;
  /** Resend IDENTIFY requests or unacknowledged configuration after this long (ms). Default 100. */
  readonly retryMs?: number;
  /** configure() fails when a board is not ready after this long (ms). Default 5000. */
  readonly configureTimeoutMs?: number;
  /** When a port lists no boards, configure() listens for more answers this long after the first (ms). Default 300. */
  readonly discoverMs?: number;
  /** Heartbeat period while no commands flow (ms). Default 50. */
  readonly heartbeatMs?: number;
  /** Period of the housekeeping timer: watchdog, retries, heartbeats (ms). Default 5. */
  readonly housekeepingMs?: number;
  /** A name for the spec. Default "boards". */
  readonly name?: string;
  /** The host's clock (default: wall time). */
  readonly clock?: Clock;
}

export interface ModeInfo {
  readonly code: ControlModeCode;
  readonly unit: CommandUnit;
  readonly min: number;
  readonly max: number;
  readonly safe: number;
}

/** Default command ranges: PWM 0..50 % (tendons only pull), forces 0..100 N, and so on. */
export const MODE_INFO: Readonly<Record<CommandModeName, ModeInfo>> = {
  pwm: { code: ControlMode.Pwm, unit: "pwm_percent", min: 0, max: 50, safe: 0 },
  position: { code: ControlMode.Position, unit: "position_rad", min: -50, max: 50, safe: 0 },
  velocity: { code: ControlMode.Velocity, unit: "velocity_radps", min: -20, max: 20, safe: 0 },
  displacement: { code: ControlMode.Displacement, unit: "displacement_m", min: 0, max: 0.02, safe: 0 },
  force: { code: ControlMode.Force, unit: "force_n", min: 0, max: 100, safe: 0 },
};

export const ZERO_GAINS: PidGains = { kp: 0, ki: 0, kd: 0, integralLimit: 0, deadband: 0, outputLimit: 10000 };

/**
 * What a board can be told in each mode, whatever the range configured: a PWM duty cycle is at
 * most 100 % either way; the other modes are bounded by the 32-bit setpoint (after calibration).
 */
export const MODE_LIMITS: Readonly<Record<CommandModeName, { readonly min: number; readonly max: number }>> = {
  pwm: { min: -100, max: 100 },
  position: { min: -Infinity, max: Infinity },
  velocity: { min: -Infinity, max: Infinity },
  displacement: { min: -Infinity, max: Infinity },
  force: { min: -Infinity, max: Infinity },
};

/**
 * Why the command range [min, max] cannot be used in `mode` (undefined when it can): not finite,
 * empty, beyond what the mode can command, or beyond the board's 32-bit setpoint. `where` names
 * it in the message ("--max", "muscles.2").
 */
export function commandRangeProblem(mode: CommandModeName, min: number, max: number, where: string, cal: MuscleCalibration = DEFAULT_MUSCLE_CALIBRATION): string | undefined {
  const unit = MODE_INFO[mode].unit;
  if (!Number.isFinite(min) || !Number.isFinite(max)) return `${where}: the command range [${min}, ${max}] must be finite numbers`;
  if (!(min < max)) return `${where}: the command range [${min}, ${max}] is empty (the lowest command must be below the highest)`;
  const lim = MODE_LIMITS[mode];
  if (min < lim.min || max > lim.max) {
    return `${where}: the command range [${min}, ${max}] ${unit} is beyond what mode ${mode} can command (${lim.min}..${lim.max}); the default is ${MODE_INFO[mode].min}..${MODE_INFO[mode].max}`;
  }
  const big = 2147483647;
  for (const v of [min, max]) {
    const raw = rawSetpoint(mode, v, cal);
    if (!(Math.abs(raw) <= big)) return `${where}: ${v} ${unit} does not fit a board setpoint (${raw.toExponential(3)} counts after calibration)`;
  }
  return undefined;
}

export interface ResolvedTiming {
  readonly statusRateHz: number;
  readonly hostWatchdogMs: number;
  readonly boardWatchdogMs: number;
  readonly staleAfterMs: number;
  readonly reconnectMs: number;
  readonly retryMs: number;
  readonly configureTimeoutMs: number;
  readonly discoverMs: number;
  readonly heartbeatMs: number;
  readonly housekeepingMs: number;
}

export function resolveTiming(o: MuscleBoardBridgeOptions): ResolvedTiming {
  const t: ResolvedTiming = {
    statusRateHz: o.statusRateHz ?? 500,
    hostWatchdogMs: o.hostWatchdogMs ?? 100,
    boardWatchdogMs: o.boardWatchdogMs ?? 100,
    staleAfterMs: o.staleAfterMs ?? 20,
    reconnectMs: o.reconnectMs ?? 250,
    retryMs: o.retryMs ?? 100,
    configureTimeoutMs: o.configureTimeoutMs ?? 5000,
    discoverMs: o.discoverMs ?? 300,
    heartbeatMs: o.heartbeatMs ?? 50,
    housekeepingMs: o.housekeepingMs ?? 5,
  };
  for (const [k, v] of Object.entries(t)) {
    if (!(Number.isFinite(v) && v > 0)) throw new RangeError(`muscle boards: ${k} must be a positive number, got ${v}`);
  }
  if (t.boardWatchdogMs > 0xffff) throw new RangeError(`muscle boards: boardWatchdogMs must be at most 65535, got ${t.boardWatchdogMs}`);
  return t;
}

/** Command value (spec unit) -> board setpoint (mode unit), rounded and held inside int32. */
export function toSetpoint(mode: CommandModeName, value: number, cal: MuscleCalibration): number {
  const s = Math.round(rawSetpoint(mode, value, cal));
  return s > 2147483647 ? 2147483647 : s < -2147483648 ? -2147483648 : s;
}

function rawSetpoint(mode: CommandModeName, value: number, cal: MuscleCalibration): number {
  let s: number;
  switch (mode) {
    case "pwm":
      s = value * 100;
      break;
    case "position":
    case "velocity":
      s = value * cal.countsPerRad;
      break;
    case "displacement":
      s = value / cal.metersPerCount;
      break;
    case "force":
      s = value * 1000;
      break;
  }
  return s;
}

export function resolveMuscleCalibration(o: MuscleBoardBridgeOptions, index: number): MuscleCalibration {
  return { ...DEFAULT_MUSCLE_CALIBRATION, ...o.calibration, ...o.muscles?.[index]?.calibration };
}

export function resolveJointCalibration(o: MuscleBoardBridgeOptions, index: number): JointCalibration {
  return { ...DEFAULT_JOINT_CALIBRATION, ...o.joints?.[index]?.calibration };
}
