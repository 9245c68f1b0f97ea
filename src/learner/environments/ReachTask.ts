/**
 * The reach task, after MyoSuite's reach environments: move the fingertip to a target drawn at
 * random in the arm's workspace, within a fixed number of control steps.
 *
 * Reward per step (d = fingertip-to-target distance, L = arm reach, a = muscle activations):
 *   r = −w_reach·d/L − w_effort·mean(a²) + w_bonus·([d < 2·near] + [d < near])
 * (MyoSuite's terms: a distance term, an activation penalty and a two-level proximity bonus.)
 * An episode ends after `episodeSteps` steps (a time limit: no termination, the learner
 * bootstraps); it is a success when d < near on its last step.
 *
 * Targets: joint angles drawn uniformly within each joint's range (shrunk by `targetMargin` of
 * the range at both ends), mapped to the fingertip; every target is reachable.
 *
 * Observation (sizes for J joints and n muscles; 2J + 3n + 6 values):
 *   joint angles (rad, scaled to [−1, 1] over the joint range), joint velocities (rad/s / 10),
 *   muscle lengths (m), muscle forces (N / forceScaleN), activations (0..1),
 *   target (m), fingertip (m), target − fingertip (m).
 * The agent's mean/std normalizer takes it from there.
 *
 * The task reads only a `SensorFrame` and the spec, so it runs on the simulated and the real arm alike.
 */
import type { Rng } from "../../core/rng.js";
import type { SensorFrame } from "../../core/frames.js";
import type { RobotSpec } from "../../core/spec.js";
import { PlanarArm, type PlanarArmOptions } from "./PlanarArm.js";
import { UserError } from "../../core/errors.js";

export interface ReachWeights {
  readonly reach: number;
  readonly bonus: number;
  readonly effort: number;
}

export interface ReachTaskOptions {
  readonly arm?: PlanarArmOptions;
  /** Success radius (m); default 0.05. */
  readonly nearM?: number;
  /** Control steps per episode; default 50 (1 s at 50 Hz). */
  readonly episodeSteps?: number;
  readonly weights?: Partial<ReachWeights>;
  /** Force scale for the observation (N); default 250 (the arm's strongest muscle). */
  readonly forceScaleN?: number;
  /** Fraction of each joint range left out at both ends when drawing targets; default 0.1. */
  readonly targetMargin?: number;
  /** A fixed target (m) instead of random ones. */
  readonly fixedTarget?: readonly [number, number];
}

/** The joints of the built-in arm the default kinematics describe, shoulder outwards. */
export const PLANAR_ARM_JOINTS: readonly string[] = ["shoulder", "elbow"];

export const DEFAULT_REACH_WEIGHTS: ReachWeights = Object.freeze({ reach: 1, bonus: 1, effort: 0.1 });

export interface ReachStep {
  readonly reward: number;
  readonly distanceM: number;
  readonly solved: boolean;
}

export class ReachTask {
  readonly arm: PlanarArm;
  readonly nearM: number;
  readonly episodeSteps: number;
  readonly weights: ReachWeights;
  readonly forceScaleN: number;
  readonly targetMargin: number;
  readonly fixedTarget: readonly [number, number] | undefined;
  readonly #tip = new Float64Array(2);
  readonly #q: Float64Array;

  /** True when the kinematics are the built-in arm's defaults (no `arm` option). */
  readonly usesDefaultArm: boolean;

  constructor(options: ReachTaskOptions = {}) {
    this.arm = new PlanarArm(options.arm);
    this.usesDefaultArm = options.arm?.linksM === undefined && options.arm?.baseM === undefined;
    this.nearM = options.nearM ?? 0.05;
    this.episodeSteps = options.episodeSteps ?? 50;
    this.weights = { ...DEFAULT_REACH_WEIGHTS, ...options.weights };
    this.forceScaleN = options.forceScaleN ?? 250;
    this.targetMargin = options.targetMargin ?? 0.1;
    this.fixedTarget = options.fixedTarget;
    this.#q = new Float64Array(this.arm.linksM.length);
    if (!Number.isInteger(this.episodeSteps) || this.episodeSteps < 1) throw new RangeError(`episodeSteps must be an integer >= 1, got ${this.episodeSteps}`);
    if (!(this.nearM > 0)) throw new RangeError(`nearM must be > 0, got ${this.nearM}`);
  }

  observationSize(spec: RobotSpec): number {
    return 2 * spec.joints.length + 3 * spec.muscles.length + 6;
  }

  /**
   * Checks that the body is the planar arm the kinematics describe: as many joints as links and,
   * with the default links (the built-in arm2j6m), its joints. Another model is refused with the
   * reason: its fingertip is not where these kinematics put it (`tendon plan --task reach` reads
   * the model's own sites and works on any MJCF model).
   */
  check(spec: RobotSpec): void {
    const links = this.arm.linksM.length;
    const names = spec.joints.map((j) => j.name);
    if (names.length !== links || (this.usesDefaultArm && names.join(",") !== PLANAR_ARM_JOINTS.join(","))) {
      throw new UserError(
        `the reach task's planar kinematics fit the built-in arm2j6m (joints ${PLANAR_ARM_JOINTS.join(", ")}); '${spec.name}' has joints ${names.join(", ") || "(none)"}: use arm2j6m, or tendon plan --task reach --site NAME for any model`,
      );
    }
  }

  /** Draws a target (m) into `out`. */
  sampleTarget(spec: RobotSpec, rng: Rng, out: Float64Array): Float64Array {
    if (this.fixedTarget) {
      out[0] = this.fixedTarget[0];
      out[1] = this.fixedTarget[1];
      return out;
    }
    const q = this.#q;
    for (let j = 0; j < q.length; j++) {
      const r = spec.joints[j].rangeRad ?? [-Math.PI, Math.PI];
      const m = (r[1] - r[0]) * this.targetMargin;
      q[j] = rng.uniform(r[0] + m, r[1] - m);
    }
    return this.arm.fingertip(q, out);
  }

  /** Writes the observation for `frame` and `target` into `out` at `offset`. */
  observe(spec: RobotSpec, frame: SensorFrame, target: ArrayLike<number>, out: Float64Array, offset = 0): void {
    let k = offset;
    const J = spec.joints.length;
    for (let j = 0; j < J; j++) {
      const r = spec.joints[j].rangeRad;
      const q = frame.jointAngleRad[j];
      out[k++] = r ? (2 * (q - r[0])) / (r[1] - r[0]) - 1 : q / Math.PI;
    }
    for (let j = 0; j < J; j++) out[k++] = frame.jointVelocityRadps[j] / 10;
    const n = spec.muscles.length;
    for (let i = 0; i < n; i++) out[k++] = frame.muscleLengthM[i];
    for (let i = 0; i < n; i++) out[k++] = frame.muscleForceN[i] / this.forceScaleN;
    for (let i = 0; i < n; i++) out[k++] = frame.muscleActivation[i];
    const tip = this.arm.fingertip(frame.jointAngleRad, this.#tip);
    out[k++] = target[0];
    out[k++] = target[1];
    out[k++] = tip[0];
    out[k++] = tip[1];
    out[k++] = target[0] - tip[0];
    out[k++] = target[1] - tip[1];
  }

  /** Reward for the state in `frame` (after the step). */
  reward(frame: SensorFrame, target: ArrayLike<number>): ReachStep {
    const tip = this.arm.fingertip(frame.jointAngleRad, this.#tip);
    const d = Math.hypot(target[0] - tip[0], target[1] - tip[1]);
    let effort = 0;
    const a = frame.muscleActivation;
    for (let i = 0; i < a.length; i++) effort += a[i] * a[i];
    effort /= Math.max(1, a.length);
    const near = this.nearM;
    const bonus = (d < 2 * near ? 1 : 0) + (d < near ? 1 : 0);
    const w = this.weights;
    return { reward: -w.reach * (d / this.arm.reachM) - w.effort * effort + w.bonus * bonus, distanceM: d, solved: d < near };
  }
}
