/**
 * Stochastic switching, the DEP-RL paper's version (the reference's mode 3, "StochSwitch"):
 * - pre-training: while steps ≤ `preTrainingSteps`, DEP alone acts (its transitions fill the replay);
 * - then the policy acts, DEP is stepped on every such step (it keeps learning), and with
 *   probability `interventionProba` per step DEP takes over for exactly `interventionLength`
 *   steps (the draw on the step itself still lets the policy act, as in the reference). One draw
 *   serves every environment; the switch ignores episode boundaries;
 * - during a greedy episode the policy acts alone and DEP is not stepped.
 * The counter starts at 500, as the reference's, so that the policy acts first.
 *
 * With `noise` (mode "dep-rl-ou", not in the reference): wherever the policy acts, its Gaussian is
 * sampled with that OU noise instead of white noise, greedy episodes included; DEP's schedule is
 * unchanged. It separates what DEP's interventions add from what correlated policy noise adds.
 */
import type { Rng } from "../../core/rng.js";
import type { Dep } from "../../dep/Dep.js";
import type { Actor, Exploration, StepContext } from "./Exploration.js";
import type { OuNoise } from "./OuNoise.js";

export class StochSwitchDep implements Exploration {
  readonly mode: "dep-rl" | "dep-rl-ou";
  readonly learns = true;
  readonly usesDep = true;
  readonly interventionProba: number;
  readonly interventionLength: number;
  readonly #dep: Dep;
  readonly #preTrainingSteps: number;
  readonly #rng: Rng;
  readonly #scratch: Float64Array;
  readonly #noise: OuNoise | undefined;
  #sinceSwitch = 500;
  #interventions = 0;
  #policyDraws = 0;

  constructor(dep: Dep, preTrainingSteps: number, interventionProba: number, interventionLength: number, rng: Rng, noise?: OuNoise) {
    this.mode = noise ? "dep-rl-ou" : "dep-rl";
    this.#noise = noise;
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
        this.#policy(ctx, out);
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
        this.#policy(ctx, out);
        return "policy";
      }
    }
    this.#dep.step(ctx.muscleStates, out);
    this.#sinceSwitch++;
    return "dep";
  }

  #policy(ctx: StepContext, out: Float64Array): void {
    if (this.#noise) this.#noise.act(ctx, out);
    else ctx.policy(out);
  }

  state(): Record<string, number | number[]> {
    const own = { sinceSwitch: this.#sinceSwitch, interventions: this.#interventions, policyDraws: this.#policyDraws, rng: Array.from(this.#rng.getState()) };
    if (!this.#noise) return own;
    const noise = Object.fromEntries(Object.entries(this.#noise.state()).map(([k, v]) => [`noise_${k}`, v]));
    return { ...own, ...noise };
  }
  load(state: Record<string, number | number[]>): void {
    if (this.#noise) this.#noise.load(Object.fromEntries(Object.entries(state).filter(([k]) => k.startsWith("noise_")).map(([k, v]) => [k.slice("noise_".length), v])));
    this.#sinceSwitch = Number(state.sinceSwitch ?? 500);
    this.#interventions = Number(state.interventions ?? 0);
    this.#policyDraws = Number(state.policyDraws ?? 0);
    if (Array.isArray(state.rng)) this.#rng.setState(state.rng);
  }
}
