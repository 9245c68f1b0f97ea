/**
 * A `TaskSpec` bound to a state layout: a cost per step for the planner (summed over the horizon,
 * as iCEM sums costs along a trajectory), the same with the sign flipped as the learner's reward,
 * and the success criterion of an episode.
 *
 * Cost per step at task time τ (a = action, effort term w·mean(a²) added to each):
 *   reach     ‖p_site − target‖ (m)
 *   pose      mean over the task's joints of |q − q*| (rad)
 *   path      ‖p_site − path(τ)‖, path(τ) linear between waypoints over durationSec, then the last
 *   velocity  |q̇ − v*| (rad/s)
 * Success over an episode:
 *   reach     final distance < radiusM (default 0.05)
 *   pose      final max |q − q*| < toleranceRad (default 0.1)
 *   path      mean tracking distance < radiusM (default 0.05)
 *   velocity  mean |q̇ − v*| over the second half < toleranceRadps (default 0.5)
 */
import { entryRange } from "../models/StateLayout.js";
import type { StateLayout } from "../models/types.js";
import type { RolloutBatch, TrajectoryCost } from "../planning/types.js";
import { TaskError, type TaskSpec, type Vec3 } from "./TaskSpec.js";

export interface EpisodeResult {
  readonly success: boolean;
  /** The quantity the criterion tests (m, rad or rad/s) and the threshold it is tested against. */
  readonly metric: number;
  readonly threshold: number;
  readonly steps: number;
}

export class Task implements TrajectoryCost {
  readonly spec: TaskSpec;
  readonly layout: StateLayout;
  readonly name: string;
  readonly episodeSec: number;
  readonly effort: number;
  readonly threshold: number;
  /** Indices into the state vector the task reads (a site's x,y,z; joints). */
  readonly #idx: Int32Array;
  /** Targets per index (reach, pose, velocity) or the waypoints (path, flattened). */
  #target: Float64Array;
  readonly #waypoints: Float64Array;
  readonly #durationSec: number;
  readonly #now = new Float64Array(3);
  // Episode accumulators.
  #steps = 0;
  #sum = 0;
  #secondHalfSum = 0;
  #secondHalfSteps = 0;
  #last = Infinity;
  #lastMaxPose = Infinity;

  constructor(spec: TaskSpec, layout: StateLayout) {
    this.spec = spec;
    this.layout = layout;
    this.name = spec.kind;
    this.episodeSec = spec.episodeSec ?? 2;
    this.effort = spec.effort ?? 0.01;
    const range = (kind: Parameters<typeof entryRange>[1], name: string): number[] => {
      try {
        const [a, b] = entryRange(layout, kind, name);
        return Array.from({ length: b - a }, (_, i) => a + i);
      } catch (err) {
        throw new TaskError(`task ${spec.kind} reads ${kind} '${name}', which the model's state does not hold: ${(err as Error).message}`);
      }
    };
    this.#waypoints = new Float64Array(0);
    this.#durationSec = 0;
    switch (spec.kind) {
      case "reach":
        this.#idx = Int32Array.from(range("site_position", spec.site));
        this.#target = Float64Array.from(spec.target);
        this.threshold = spec.radiusM ?? 0.05;
        break;
      case "path":
        this.#idx = Int32Array.from(range("site_position", spec.site));
        this.#waypoints = Float64Array.from(spec.waypoints.flat());
        this.#durationSec = spec.durationSec;
        this.#target = new Float64Array(3);
        this.threshold = spec.radiusM ?? 0.05;
        break;
      case "pose": {
        const names = Object.keys(spec.joints);
        this.#idx = Int32Array.from(names.flatMap((n) => range("joint_angle", n)));
        this.#target = Float64Array.from(names.map((n) => spec.joints[n]));
        this.threshold = spec.toleranceRad ?? 0.1;
        break;
      }
      case "velocity":
        this.#idx = Int32Array.from(range("joint_velocity", spec.joint));
        this.#target = Float64Array.of(spec.velocityRadps);
        this.threshold = spec.toleranceRadps ?? 0.5;
        break;
    }
    this.startEpisode();
  }

  /** Moves a reach target (m) without rebuilding the task. */
  setTarget(target: Vec3): void {
    if (this.spec.kind !== "reach") throw new TaskError(`task ${this.spec.kind} has no single target`);
    this.#target = Float64Array.from(target);
  }

  get target(): Vec3 {
    const t = this.spec.kind === "path" ? this.#pathPoint(0) : this.#target;
    return [t[0], t[1], t[2] ?? 0];
  }

  /** The task's error at one state (m, rad or rad/s): what success is judged on. `s` from `off`. */
  error(s: ArrayLike<number>, off: number, tSec: number): number {
    const idx = this.#idx;
    switch (this.spec.kind) {
      case "reach":
      case "path": {
        const t = this.spec.kind === "reach" ? this.#target : this.#pathPoint(tSec);
        const dx = s[off + idx[0]] - t[0];
        const dy = s[off + idx[1]] - t[1];
        const dz = s[off + idx[2]] - t[2];
        return Math.sqrt(dx * dx + dy * dy + dz * dz);
      }
      case "pose": {
        let e = 0;
        for (let k = 0; k < idx.length; k++) e += Math.abs(s[off + idx[k]] - this.#target[k]);
        return e / idx.length;
      }
      case "velocity":
        return Math.abs(s[off + idx[0]] - this.#target[0]);
    }
  }

  /** Cost of one step: the error plus the effort term of action `a` from `aOff` (`d` entries). */
  stepCost(s: ArrayLike<number>, sOff: number, a: ArrayLike<number>, aOff: number, d: number, tSec: number): number {
    let e2 = 0;
    for (let j = 0; j < d; j++) e2 += a[aOff + j] * a[aOff + j];
    return this.error(s, sOff, tSec) + (this.effort * e2) / d;
  }

  /** The learner's reward for reaching state `s` with action `a` at task time `tSec`: −stepCost. */
  reward(s: ArrayLike<number>, a: ArrayLike<number>, tSec: number): number {
    return -this.stepCost(s, 0, a, 0, a.length, tSec);
  }

  evaluate(batch: RolloutBatch, costs: Float64Array): void {
    const { n, h, actionDim: d, states, actions, stepSec, startTimeSec } = batch;
    const sdim = batch.layout.size;
    for (let i = 0; i < n; i++) {
      let c = 0;
      for (let t = 0; t < h; t++) {
        const row = i * h + t;
        c += this.stepCost(states, row * sdim, actions, row * d, d, startTimeSec + (t + 1) * stepSec);
      }
      costs[i] = c;
    }
  }

  startEpisode(): void {
    this.#steps = 0;
    this.#sum = 0;
    this.#secondHalfSum = 0;
    this.#secondHalfSteps = 0;
    this.#last = Infinity;
    this.#lastMaxPose = Infinity;
  }

  /** Records the state at task time `tSec` (one call per control step of the episode). */
  observe(s: ArrayLike<number>, tSec: number): number {
    const e = this.error(s, 0, tSec);
    if (this.spec.kind === "pose") {
      let m = 0;
      for (let k = 0; k < this.#idx.length; k++) m = Math.max(m, Math.abs(s[this.#idx[k]] - this.#target[k]));
      this.#lastMaxPose = m;
    }
    this.#steps++;
    this.#sum += e;
    this.#last = e;
    if (tSec >= this.episodeSec / 2) {
      this.#secondHalfSum += e;
      this.#secondHalfSteps++;
    }
    return e;
  }

  result(): EpisodeResult {
    let metric: number;
    switch (this.spec.kind) {
      case "reach":
        metric = this.#last;
        break;
      case "pose":
        metric = this.#lastMaxPose;
        break;
      case "path":
        metric = this.#steps > 0 ? this.#sum / this.#steps : Infinity;
        break;
      case "velocity":
        metric = this.#secondHalfSteps > 0 ? this.#secondHalfSum / this.#secondHalfSteps : Infinity;
        break;
    }
    return { success: metric < this.threshold, metric, threshold: this.threshold, steps: this.#steps };
  }

  #pathPoint(tSec: number): Float64Array {
    const w = this.#waypoints;
    const segments = w.length / 3 - 1;
    const u = Math.min(1, Math.max(0, tSec / this.#durationSec)) * segments;
    const k = Math.min(segments - 1, Math.floor(u));
    const f = u - k;
    for (let c = 0; c < 3; c++) this.#now[c] = w[3 * k + c] * (1 - f) + w[3 * (k + 1) + c] * f;
    return this.#now;
  }
}
