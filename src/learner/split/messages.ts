/** Messages between the host (control loop side) and a learner worker thread. */
import type { PolicySnapshot } from "../inference/MlpPolicy.js";
import type { BackendChoice } from "../tf/backend.js";
import type { LearnConfig } from "../runLearn.js";

export interface LearnerWorkerConfig {
  readonly observationSize: number;
  readonly actionSize: number;
  readonly learn: LearnConfig;
  readonly backend: BackendChoice;
  /** Publish the policy after every this many update rounds (default 1). */
  readonly publishEveryRounds?: number;
}

export type HostToLearner =
  | { readonly type: "transitions"; readonly count: number; readonly data: Float64Array }
  | { readonly type: "stop" };

export type LearnerToHost =
  | { readonly type: "ready"; readonly backend: string }
  | { readonly type: "policy"; readonly snapshot: PolicySnapshot; readonly updates: number; readonly steps: number }
  | { readonly type: "heartbeat"; readonly steps: number; readonly updates: number }
  | { readonly type: "error"; readonly message: string };
