/**
 * DEP fills the replay, then RL alone (the reference's mode 1, "InitExplore"): DEP acts while
 * steps ≤ `preTrainingSteps`, the policy afterwards; DEP is no longer stepped once RL acts.
 */
import type { Dep } from "../../dep/Dep.js";
import type { Actor, Exploration, StepContext } from "./Exploration.js";

export class InitExploreDep implements Exploration {
  readonly mode: Exploration["mode"] = "init-explore";
  readonly learns = true;
  readonly usesDep = true;
  protected readonly dep: Dep;
  protected readonly preTrainingSteps: number;

  constructor(dep: Dep, preTrainingSteps: number) {
    this.dep = dep;
    this.preTrainingSteps = preTrainingSteps;
  }

  act(ctx: StepContext, out: Float64Array): Actor {
    if (ctx.steps > this.preTrainingSteps) {
      ctx.policy(out);
      return "policy";
    }
    this.dep.step(ctx.muscleStates, out);
    return "dep";
  }

  state(): Record<string, number | number[]> {
    return {};
  }
  load(_state: Record<string, number | number[]>): void {}
}
