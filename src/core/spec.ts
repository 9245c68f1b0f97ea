/**
 * What a bridge (hardware or simulation) exposes: its muscles and joints, with the ranges a
 * command or a reading may take. A spec is plain data, fixed after `configure()`.
 */

/** One muscle (actuator): a tendon pulled by a motor or by a simulated muscle. */
export interface MuscleSpec {
  readonly name: string;
  /** Lowest command the bridge accepts for this muscle, in `commandUnit`. */
  readonly commandMin: number;
  /** Highest command the bridge accepts for this muscle, in `commandUnit`. */
  readonly commandMax: number;
  /**
   * The command a muscle goes to when nothing else is allowed to act (e-stop, bad input, stale
   * sensors): zero activation in simulation, zero PWM on hardware.
   */
  readonly safeCommand: number;
  /**
   * What drives it, where the bridge knows: "muscle" (MuJoCo's muscle gain), or "motor" for any
   * other actuator (motor, position or velocity servo, general): DEP then drives a motor as if it
   * were a muscle, which the run's summary says.
   */
  readonly actuator?: "muscle" | "motor";
}

/** One joint the bridge can report. */
export interface JointSpec {
  readonly name: string;
  /** Lower and upper limit (rad); null for an unlimited joint. */
  readonly rangeRad: readonly [number, number] | null;
}

export type CommandUnit = "activation" | "pwm_percent" | "position_rad" | "velocity_radps" | "displacement_m" | "force_n";

export interface RobotSpec {
  /** A name for logs and summaries, e.g. the model file's name. */
  readonly name: string;
  readonly muscles: readonly MuscleSpec[];
  readonly joints: readonly JointSpec[];
  /** The unit of every muscle command this bridge accepts. */
  readonly commandUnit: CommandUnit;
}

export function muscleCount(spec: RobotSpec): number {
  return spec.muscles.length;
}
