import assert from "node:assert/strict";
import { Rng } from "../../src/core/rng.js";
import { Dep } from "../../src/dep/Dep.js";
import { resolveDepParams } from "../../src/dep/params.js";
import { StochSwitchDep } from "../../src/learner/explorations/StochSwitchDep.js";
import { DetSwitchDep } from "../../src/learner/explorations/DetSwitchDep.js";
import { InitExploreDep } from "../../src/learner/explorations/InitExploreDep.js";
import type { Actor, Exploration } from "../../src/learner/explorations/Exploration.js";

function drive(exploration: Exploration, dep: Dep, steps: number, greedy: (t: number) => boolean = () => false): { who: Actor[]; depSteps: number[] } {
  const rng = new Rng(3);
  const states = new Float64Array(dep.envs * dep.n);
  const out = new Float64Array(dep.envs * dep.n);
  const who: Actor[] = [];
  const depSteps: number[] = [];
  for (let t = 0; t < steps; t++) {
    for (let i = 0; i < states.length; i++) states[i] = Math.sin(0.1 * t + i) + 0.1 * rng.normal();
    const before = dep.t;
    who.push(exploration.act({ observations: new Float64Array(1), muscleStates: states, steps: t, greedyEpisode: greedy(t), policy: (o) => o.fill(0.5), policyWithNoise: (_n, o) => o.fill(0.5) }, out));
    depSteps.push(dep.t - before);
  }
  return { who, depSteps };
}

describe("DEP-RL exploration schedules", () => {
  const params = resolveDepParams();

  it("StochSwitch: DEP alone during pre-training, then interventions at their probability, each exactly intervention_length steps", () => {
    const dep = new Dep(params, 4, 2);
    const p = 0.02;
    const L = 5;
    const pre = 200;
    const ex = new StochSwitchDep(dep, pre, p, L, new Rng(1));
    const steps = 30_000;
    const { who, depSteps } = drive(ex, dep, steps);
    assert.ok(who.slice(0, pre + 1).every((w) => w === "dep"));
    // DEP is stepped on every step outside greedy episodes.
    assert.ok(depSteps.every((d) => d === 1));
    // Runs of DEP after pre-training are exactly L long.
    let run = 0;
    const runs: number[] = [];
    for (let t = pre + 1; t < steps; t++) {
      if (who[t] === "dep") run++;
      else if (run > 0) {
        runs.push(run);
        run = 0;
      }
    }
    assert.ok(runs.length > 0 && runs.every((r) => r === L), `runs of ${[...new Set(runs)].join(", ")}`);
    // Starts per policy step (each a Bernoulli(p) draw): within 4 standard deviations of p.
    const { started, draws } = ex.interventions;
    const rate = started / draws;
    const sigma = Math.sqrt((p * (1 - p)) / draws);
    assert.ok(Math.abs(rate - p) < 4 * sigma, `rate ${rate} vs ${p} (±${4 * sigma})`);
  });

  it("StochSwitch: a greedy episode is the policy's alone and DEP is not stepped", () => {
    const dep = new Dep(params, 3, 1);
    const ex = new StochSwitchDep(dep, 10, 1, 3, new Rng(1));
    const { who, depSteps } = drive(ex, dep, 100, (t) => t >= 50);
    assert.ok(who.slice(50).every((w) => w === "policy"));
    assert.ok(depSteps.slice(50).every((d) => d === 0));
  });

  it("deterministic switching alternates policy and DEP by the reference's counters; InitExplore hands over once", () => {
    const dep = new Dep(params, 3, 1);
    const det = new DetSwitchDep(dep, 0, 3, 6);
    const { who } = drive(det, dep, 40);
    const pattern = who.slice(1).map((w) => (w === "dep" ? "D" : "p")).join("");
    // The reference's modulo counters give rl_length − 1 policy steps, then intervention_length − 1 DEP steps.
    assert.match(pattern, /^(p{5}D{2})+p*$/);
    const init = new InitExploreDep(new Dep(params, 3, 1), 20);
    const r = drive(init, new Dep(params, 3, 1), 40);
    assert.deepEqual([...new Set(r.who.slice(0, 21))], ["dep"]);
    assert.deepEqual([...new Set(r.who.slice(21))], ["policy"]);
  });
});
