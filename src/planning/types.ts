/**
 * What a planner optimises: a cost of predicted trajectories. Task costs (src/tasks) and
 * intrinsic signals (negative ensemble disagreement for free play) are both `TrajectoryCost`s.
 */
import { UserError } from "../core/errors.js";
import type { StateLayout } from "../models/types.js";

/** One batch of rolled-out trajectories, as the cost sees it. Arrays are the planner's: read, do not keep. */
export interface RolloutBatch {
  readonly layout: StateLayout;
  readonly actionDim: number;
  /** Trajectories in the batch and steps per trajectory. */
  readonly n: number;
  readonly h: number;
  /** Predicted states after each action: [n x h x layout.size]. */
  readonly states: Float32Array;
  /** The action sequences: [n x h x actionDim]. */
  readonly actions: Float32Array;
  /** Ensemble disagreement per step [n x h], when the model has several members. */
  readonly disagreement: Float32Array | undefined;
  /** The state the rollouts start from (in `layout`). */
  readonly start: Float64Array;
  /** Task time (s) of the start state, and model time per step (s). */
  readonly startTimeSec: number;
  readonly stepSec: number;
}

export interface TrajectoryCost {
  readonly name: string;
  /** Writes the cost of trajectory i into `costs[i]` for i < batch.n (lower is better; finite). */
  evaluate(batch: RolloutBatch, costs: Float64Array): void;
}

/** A planner setting that cannot work (a horizon or population of 0, ...): the user's to fix. */
export class PlannerOptionError extends UserError {
  override name = "PlannerOptionError";
}
