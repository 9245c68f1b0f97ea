/**
 * Messages between the host (control loop or environment side) and a learner worker thread, and
 * the one transition format every producer uses: the policy controller on the control loop, the
 * training loop's environments and the ROS learner node all send rows laid out as below.
 */
import type { BonusStats, OnlineBonusOptions } from "../../intrinsic/OnlineBonus.js";
import type { EnsembleState } from "../../models/ProbabilisticEnsemble.js";
import type { PolicySnapshot } from "../inference/MlpPolicy.js";
import type { BackendChoice } from "../tf/backend.js";
import type { LearnConfig } from "../runLearn.js";

/**
 * A transition row, Float64: observation (O), action applied (A), reward, next observation (O),
 * reset (the episode ended with this step), terminated (a true end), stream (which environment
 * or robot produced it), flags (TRANSITION_DEP: DEP acted). Length `transitionRowSize(O, A)`.
 */
export const TRANSITION_DEP = 1;

export function transitionRowSize(observationSize: number, actionSize: number): number {
  return 2 * observationSize + actionSize + 5;
}

/** Offsets of the scalar fields in a row. */
export function transitionOffsets(O: number, A: number): { action: number; reward: number; next: number; reset: number; terminated: number; stream: number; flags: number } {
  return { action: O, reward: O + A, next: O + A + 1, reset: 2 * O + A + 1, terminated: 2 * O + A + 2, stream: 2 * O + A + 3, flags: 2 * O + A + 4 };
}

export interface LearnerWorkerConfig {
  readonly observationSize: number;
  readonly actionSize: number;
  readonly learn: LearnConfig;
  readonly backend: BackendChoice;
  /** Publish the policy after every this many update rounds (default 1). */
  readonly publishEveryRounds?: number;
  /** Transition streams (environments or robots) feeding this learner (default 1); rows carry their stream. */
  readonly streams?: number;
  /**
   * With `learn.intrinsic` set, the online bonus's own schedule and model (defaults: createBonus's),
   * e.g. trainEvery, trainSteps, warmup, model, initialModel, trackDisagreement.
   */
  readonly bonus?: Partial<OnlineBonusOptions>;
  /** False: no MPO (the learner only trains the world model of the bonus; no policy is published). Default true. */
  readonly trainPolicy?: boolean;
}

/** A world-model update from the learner: the ensemble's full state (its `version` is the model's), the steps stored when it was made, the bonus's figures. */
export interface ModelUpdate {
  readonly state: EnsembleState;
  readonly steps: number;
  readonly stats: BonusStats;
}

export type HostToLearner =
  | { readonly type: "transitions"; readonly count: number; readonly data: Float64Array }
  | { readonly type: "stop" };

export type LearnerToHost =
  | { readonly type: "ready"; readonly backend: string }
  | { readonly type: "policy"; readonly snapshot: PolicySnapshot; readonly updates: number; readonly steps: number }
  | ({ readonly type: "model" } & ModelUpdate)
  | { readonly type: "heartbeat"; readonly steps: number; readonly updates: number; readonly bonus?: BonusStats }
  | { readonly type: "error"; readonly message: string };
