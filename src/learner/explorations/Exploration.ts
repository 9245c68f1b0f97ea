/**
 * Who acts on each environment step: the RL policy, DEP, or a schedule between them (the
 * DEP-RL paper's modes, after the reference's `dep_factory`). An exploration gets the step's
 * observations and DEP input, asks the agent for policy actions when the policy acts, steps DEP
 * when its schedule says so, and writes the actions to apply. DEP is stepped on every step the
 * schedule names, never reset per episode, and sees only muscle states.
 */
import type { Dep } from "../../dep/Dep.js";

export const EXPLORATION_MODES = ["dep-rl", "rl", "rl-ou", "dep-rl-ou", "init-explore", "det-switch", "dep"] as const;
export type ExplorationMode = (typeof EXPLORATION_MODES)[number];

/** Who produced the actions of a step. */
export type Actor = "policy" | "dep";

export interface StepContext {
  /** Observations, environment after environment. */
  readonly observations: Float64Array;
  /** DEP's input, E x n. */
  readonly muscleStates: Float64Array;
  /** Environment steps taken so far, over all environments. */
  readonly steps: number;
  /** A greedy episode is under way: the policy acts alone and DEP is not stepped (DEP-RL modes). */
  readonly greedyEpisode: boolean;
  /** Writes the policy's exploration actions (sampled) into `out`. */
  readonly policy: (out: Float64Array) => void;
  /** Writes the policy's mean + std·noise into `out`; `noise` is E x A, standard normal per entry (colored-noise exploration). */
  readonly policyWithNoise: (noise: Float64Array, out: Float64Array) => void;
}

export interface Exploration {
  readonly mode: ExplorationMode;
  /** False for pure DEP: nothing is learned from its steps. */
  readonly learns: boolean;
  /** True when the schedule uses DEP (the trainer then builds one). */
  readonly usesDep: boolean;
  /** Writes the actions of this step into `out` and says who acted. */
  act(ctx: StepContext, out: Float64Array): Actor;
  /** Counters and random state, for checkpoints. */
  state(): Record<string, number | number[]>;
  load(state: Record<string, number | number[]>): void;
}

/** DEP as the schedules use it: one step for every environment, output y in [−1, 1]. */
export function stepDep(dep: Dep, muscleStates: Float64Array, out: Float64Array): void {
  dep.step(muscleStates, out);
}
