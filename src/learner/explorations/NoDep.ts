/** RL alone: the policy acts on every step, exploring with its own Gaussian noise (MPO as is; the reference's mode 0). */
import type { Actor, Exploration, StepContext } from "./Exploration.js";

export class NoDep implements Exploration {
  readonly mode = "rl" as const;
  readonly learns = true;
  readonly usesDep = false;
  act(ctx: StepContext, out: Float64Array): Actor {
    ctx.policy(out);
    return "policy";
  }
  state(): Record<string, number> {
    return {};
  }
  load(): void {}
}
