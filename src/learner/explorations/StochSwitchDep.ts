/**
 * Stochastic switching, the DEP-RL paper's version (the reference's mode 3, "StochSwitch"):
 * - pre-training: while steps ≤ `preTrainingSteps`, DEP alone acts (its transitions fill the replay);
 * - then the policy acts, DEP is stepped on every such step (it keeps learning), and with
 *   probability `interventionProba` per step DEP takes over for exactly `interventionLength`
 *   steps (the draw on the step itself still lets the policy act, as in the reference). One draw
 *   serves every environment; the switch ignores episode boundaries;
 * - during a greedy episode the policy acts alone and DEP is not stepped.
 * The counter starts at 500, as the reference's, so that the policy acts first.
 */
import type { Rng } from "../../core/rng.js";
import type { Dep } from "../../dep/Dep.js";
import type { Actor, Exploration, StepContext } from "./Exploration.js";

export class StochSwitchDep implements Exploration {
  readonly mode = "dep-rl" as const;
  readonly learns = true;
  readonly usesDep = true;
  readonly interventionProba: number;
  readonly interventionLength: number;
  readonly #dep: Dep;
  readonly #preTrainingSteps: number;
  readonly #rng: Rng;
  readonly #scratch: Float64Array;
  #sinceSwitch = 500;
  #interventions = 0;
  #policyDraws = 0;

  constructor(dep: Dep, preTrainingSteps: number, interventionProba: number, interventionLength: number, rng: Rng) {
    this.#dep = dep;
    this.#preTrainingSteps = preTrainingSteps;
    this.interventionProba = interventionProba;
    this.interventionLength = interventionLength;
    this.#rng = rng;
    this.#scratch = new Float64Array(dep.envs * dep.n);
  }

  /** Interventions started so far, and the policy steps on which one could have started. */
  get interventions(): { started: number; draws: number } {
    return { started: this.#interventions, draws: this.#policyDraws };
  }

  act(ctx: StepContext, out: Float64Array): Actor {
    if (ctx.steps > this.#preTrainingSteps) {
      if (ctx.greedyEpisode) {
        ctx.policy(out);
        return "policy";
      }
      if (this.#sinceSwitch > this.interventionLength) {
        this.#dep.step(ctx.muscleStates, this.#scratch);
        this.#policyDraws++;
        if (this.#rng.next() < this.interventionProba) {
          this.#sinceSwitch = 0;
          this.#interventions++;
        }
        this.#sinceSwitch++;
        ctx.policy(out);
        return "policy";
      }
    }
    this.#dep.step(ctx.muscleStates, out);
    this.#sinceSwitch++;
    return "dep";
  }

  state(): Record<string, number | number[]> {
    return { sinceSwitch: this.#sinceSwitch, interventions: this.#interventions, policyDraws: this.#policyDraws, rng: Array.from(this.#rng.getState()) };
  }
  load(state: Record<string, number | number[]>): void {
    this.#sinceSwitch = Number(state.sinceSwitch ?? 500);
    this.#interventions = Number(state.interventions ?? 0);
    this.#policyDraws = Number(state.policyDraws ?? 0);
    if (Array.isArray(state.rng)) this.#rng.setState(state.rng);
  }
}
