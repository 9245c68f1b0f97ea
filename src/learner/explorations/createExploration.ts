/** Builds the exploration for a mode, with DEP's parameters and the switch's (reference names). */
import { Rng } from "../../core/rng.js";
import { Dep } from "../../dep/Dep.js";
import type { DepParams } from "../../dep/params.js";
import { DetSwitchDep } from "./DetSwitchDep.js";
import type { Exploration, ExplorationMode } from "./Exploration.js";
import { InitExploreDep } from "./InitExploreDep.js";
import { NoDep } from "./NoDep.js";
import { OuNoise } from "./OuNoise.js";
import { PureDep } from "./PureDep.js";
import { StochSwitchDep } from "./StochSwitchDep.js";

/** Switch parameters used when the DEP preset has none (the DEP-RL paper's reacher values). */
export const DEFAULT_SWITCH = Object.freeze({ intervention_proba: 0.01, intervention_length: 20, test_episode_every: 3, rl_length: 100 });

/** Correlation time of the OU exploration noise, in steps, when the parameters name none. */
export const DEFAULT_OU_CORRELATION_STEPS = 10;

export interface ExplorationSetup {
  readonly mode: ExplorationMode;
  readonly depParams: Readonly<DepParams>;
  /** Muscles per environment. */
  readonly muscles: number;
  readonly envs: number;
  /** DEP alone acts up to this many steps (the replay's steps before batches). */
  readonly preTrainingSteps: number;
  readonly seed: number;
  /** Correlation time of the "rl-ou" noise, in environment steps. */
  readonly ouCorrelationSteps?: number;
}

export interface BuiltExploration {
  readonly exploration: Exploration;
  readonly dep: Dep | undefined;
  /** Every n-th episode is greedy (DEP-RL modes); Infinity for none. */
  readonly testEpisodeEvery: number;
}

export function createExploration(setup: ExplorationSetup): BuiltExploration {
  const p = setup.depParams;
  if (setup.mode === "rl") return { exploration: new NoDep(), dep: undefined, testEpisodeEvery: Infinity };
  if (setup.mode === "rl-ou") {
    const tau = setup.ouCorrelationSteps ?? DEFAULT_OU_CORRELATION_STEPS;
    return { exploration: new OuNoise(setup.envs * setup.muscles, tau, new Rng(setup.seed + 13)), dep: undefined, testEpisodeEvery: Infinity };
  }
  const dep = new Dep(p, setup.muscles, setup.envs);
  const proba = p.intervention_proba ?? DEFAULT_SWITCH.intervention_proba;
  const length = p.intervention_length ?? DEFAULT_SWITCH.intervention_length;
  const every = p.test_episode_every ?? DEFAULT_SWITCH.test_episode_every;
  switch (setup.mode) {
    case "dep-rl":
      return { exploration: new StochSwitchDep(dep, setup.preTrainingSteps, proba, length, new Rng(setup.seed + 11)), dep, testEpisodeEvery: every };
    case "dep-rl-ou": {
      const noise = new OuNoise(setup.envs * setup.muscles, setup.ouCorrelationSteps ?? DEFAULT_OU_CORRELATION_STEPS, new Rng(setup.seed + 13));
      return { exploration: new StochSwitchDep(dep, setup.preTrainingSteps, proba, length, new Rng(setup.seed + 11), noise), dep, testEpisodeEvery: every };
    }
    case "det-switch":
      return { exploration: new DetSwitchDep(dep, setup.preTrainingSteps, length, p.rl_length ?? DEFAULT_SWITCH.rl_length), dep, testEpisodeEvery: Infinity };
    case "init-explore":
      return { exploration: new InitExploreDep(dep, setup.preTrainingSteps), dep, testEpisodeEvery: Infinity };
    case "dep":
      return { exploration: new PureDep(dep), dep, testEpisodeEvery: Infinity };
  }
}
