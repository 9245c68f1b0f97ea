/**
 * Deterministic switching (the reference's mode 2): after pre-training, the policy acts for
 * `rlLength` steps, then DEP for `interventionLength`, and so on; DEP is stepped on the policy's
 * steps too, so it keeps learning. The counters follow the reference's (`switch`, `since_switch`),
 * whose modulo tests make each phase one step shorter than its parameter: rl_length − 1 policy
 * steps, then intervention_length − 1 DEP steps.
 */
import type { Dep } from "../../dep/Dep.js";
import type { Actor, Exploration, StepContext } from "./Exploration.js";

export class DetSwitchDep implements Exploration {
  readonly mode = "det-switch" as const;
  readonly learns = true;
  readonly usesDep = true;
  readonly #dep: Dep;
  readonly #preTrainingSteps: number;
  readonly #interventionLength: number;
  readonly #rlLength: number;
  readonly #scratch: Float64Array;
  #switch = 0;
  #sinceSwitch = 1;

  constructor(dep: Dep, preTrainingSteps: number, interventionLength: number, rlLength: number) {
    this.#dep = dep;
    this.#preTrainingSteps = preTrainingSteps;
    this.#interventionLength = interventionLength;
    this.#rlLength = rlLength;
    this.#scratch = new Float64Array(dep.envs * dep.n);
  }

  act(ctx: StepContext, out: Float64Array): Actor {
    if (ctx.steps > this.#preTrainingSteps) {
      if (this.#switch && this.#sinceSwitch % this.#interventionLength === 0) {
        this.#switch = 0;
        this.#sinceSwitch = 1;
      }
      if (!this.#switch && this.#sinceSwitch % this.#rlLength === 0) {
        this.#switch = 1;
        this.#sinceSwitch = 1;
      }
      this.#sinceSwitch++;
      if (!this.#switch) {
        this.#dep.step(ctx.muscleStates, this.#scratch);
        ctx.policy(out);
        return "policy";
      }
    }
    this.#dep.step(ctx.muscleStates, out);
    return "dep";
  }

  state(): Record<string, number> {
    return { switch: this.#switch, sinceSwitch: this.#sinceSwitch };
  }
  load(state: Record<string, number | number[]>): void {
    this.#switch = Number(state.switch ?? 0);
    this.#sinceSwitch = Number(state.sinceSwitch ?? 1);
  }
}
