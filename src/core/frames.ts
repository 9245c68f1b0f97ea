/**
 * Typed frames that flow through the control loop. Frames are preallocated once and filled in
 * place every tick (no allocation at control rate): whoever keeps a frame beyond the tick it was
 * handed must copy it (`copySensorFrame`).
 */
import type { RobotSpec } from "./spec.js";

/** One reading of every sensor of a bridge. Arrays are indexed like `spec.muscles` / `spec.joints`. */
export interface SensorFrame {
  /** Time of the reading on the loop's clock (s). */
  stampSec: number;
  /** Monotonic count of readings, starting at 0 after activation. */
  seq: number;
  /** Musculotendon length (m). */
  readonly muscleLengthM: Float64Array;
  /** Musculotendon velocity (m/s), lengthening positive. */
  readonly muscleVelocityMps: Float64Array;
  /** Tendon tension (N), positive when the muscle pulls. */
  readonly muscleForceN: Float64Array;
  /** Muscle activation (0..1 in simulation; motor output fraction on hardware). */
  readonly muscleActivation: Float64Array;
  /** The control value currently applied (the last command the bridge accepted). */
  readonly muscleControl: Float64Array;
  /** Joint angle (rad). */
  readonly jointAngleRad: Float64Array;
  /** Joint angular velocity (rad/s). */
  readonly jointVelocityRadps: Float64Array;
}

/** A command for every muscle, in the bridge's `commandUnit`. */
export interface MuscleCommand {
  /** Time the command was computed on the loop's clock (s). */
  stampSec: number;
  readonly values: Float64Array;
}

export function createSensorFrame(spec: RobotSpec): SensorFrame {
  const m = spec.muscles.length;
  const j = spec.joints.length;
  return {
    stampSec: 0,
    seq: 0,
    muscleLengthM: new Float64Array(m),
    muscleVelocityMps: new Float64Array(m),
    muscleForceN: new Float64Array(m),
    muscleActivation: new Float64Array(m),
    muscleControl: new Float64Array(m),
    jointAngleRad: new Float64Array(j),
    jointVelocityRadps: new Float64Array(j),
  };
}

export function createMuscleCommand(spec: RobotSpec): MuscleCommand {
  return { stampSec: 0, values: new Float64Array(spec.muscles.length) };
}

/** The safe command of every muscle (see `MuscleSpec.safeCommand`), written into `out`. */
export function fillSafeCommand(spec: RobotSpec, out: Float64Array): Float64Array {
  for (let i = 0; i < spec.muscles.length; i++) out[i] = spec.muscles[i].safeCommand;
  return out;
}

/** A deep copy, for consumers that keep frames past their tick (recorders, tests). */
export function copySensorFrame(frame: SensorFrame): SensorFrame {
  return {
    stampSec: frame.stampSec,
    seq: frame.seq,
    muscleLengthM: frame.muscleLengthM.slice(),
    muscleVelocityMps: frame.muscleVelocityMps.slice(),
    muscleForceN: frame.muscleForceN.slice(),
    muscleActivation: frame.muscleActivation.slice(),
    muscleControl: frame.muscleControl.slice(),
    jointAngleRad: frame.jointAngleRad.slice(),
    jointVelocityRadps: frame.jointVelocityRadps.slice(),
  };
}
