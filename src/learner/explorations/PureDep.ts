/** DEP alone on every step, nothing learned (the reference's mode 4): a baseline and a way to watch DEP in the task. */
import type { Dep } from "../../dep/Dep.js";
import type { Actor, Exploration, StepContext } from "./Exploration.js";

export class PureDep implements Exploration {
  readonly mode = "dep" as const;
  readonly learns = false;
  readonly usesDep = true;
  readonly #dep: Dep;
  constructor(dep: Dep) {
    this.#dep = dep;
  }
  act(ctx: StepContext, out: Float64Array): Actor {
    this.#dep.step(ctx.muscleStates, out);
    return "dep";
  }
  state(): Record<string, number> {
    return {};
  }
  load(): void {}
}
