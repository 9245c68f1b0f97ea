/**
 * What a learned (or exact) model of the body sees and predicts, and the one interface a planner
 * rolls it out through.
 *
 * A state vector is a fixed concatenation of named groups (joint angles, muscle forces, a site's
 * position, ...), described by a `StateLayout`: the same layout is used to build training data
 * from frames or recordings, to read the state of a running simulation, and by task costs and
 * intrinsic signals to find the part of the state they are about.
 */

/** The quantities a state vector can hold. `site_position` takes 3 entries (x, y, z in m) per site. */
export type StateGroupKind =
  | "joint_angle"
  | "joint_velocity"
  | "muscle_length"
  | "muscle_velocity"
  | "muscle_force"
  | "muscle_activation"
  | "site_position";

export interface StateGroup {
  readonly kind: StateGroupKind;
  /** Joint, muscle or site names, in order. */
  readonly names: readonly string[];
  /** Index of the group's first entry in the state vector. */
  readonly offset: number;
  /** Number of entries: names.length, or 3 x names.length for sites. */
  readonly size: number;
}

export interface StateLayout {
  readonly groups: readonly StateGroup[];
  /** Length of the state vector: the sum of the group sizes. */
  readonly size: number;
}

/** Means and log-variances of the next state for a batch, per member: [members x rows x stateDim]. */
export interface EnsemblePrediction {
  readonly mean: Float32Array;
  readonly logVar: Float32Array;
}

/**
 * A one-step dynamics model with `members` ensemble members (1 for a deterministic model).
 * Synchronous: called between ticks or in a planning worker, never awaited on the loop.
 */
export interface DynamicsModel {
  readonly layout: StateLayout;
  readonly actionDim: number;
  readonly members: number;
  /**
   * Next-state prediction of every member for `rows` (state, action) pairs; states are
   * [rows x layout.size], actions [rows x actionDim], both row-major. The result is the model's
   * and is overwritten by the next call.
   */
  predict(states: Float32Array, actions: Float32Array, rows: number): EnsemblePrediction;
}

/** Where a rollout writes its result: predicted states [n x h x stateDim] and, if the model has more than one member, disagreement [n x h]. */
export interface RolloutOutput {
  readonly states: Float32Array;
  readonly disagreement?: Float32Array;
}

/**
 * What a planner rolls action sequences through: the learned ensemble (particles or per-member
 * trajectories) or the simulator itself as an exact model.
 */
export interface RolloutModel {
  readonly layout: StateLayout;
  readonly actionDim: number;
  /** Action bounds, per action dimension. */
  readonly actionLow: Float64Array;
  readonly actionHigh: Float64Array;
  /** Seconds of model time per step of a rollout. */
  readonly stepSec: number;
  /**
   * Rolls `n` action sequences of `h` steps each (actions [n x h x actionDim], row-major) forward
   * from `start` (a state vector in `layout`, or the model's own copy of the current simulation
   * state where it has one) and fills `out`.
   */
  rollout(start: Float64Array, actions: Float32Array, n: number, h: number, out: RolloutOutput): void;
}
