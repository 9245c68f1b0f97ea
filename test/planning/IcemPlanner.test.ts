import assert from "node:assert/strict";
import type { RolloutModel, RolloutOutput, StateLayout } from "../../src/models/types.js";
import { IcemPlanner, plannerOptions } from "../../src/planning/IcemPlanner.js";
import { PlannerOptionError, type RolloutBatch, type TrajectoryCost } from "../../src/planning/types.js";

/** A point that moves by action x dt per step in `dim` dimensions; records every rollout call. */
class Integrator implements RolloutModel {
  readonly layout: StateLayout;
  readonly actionLow: Float64Array;
  readonly actionHigh: Float64Array;
  readonly stepSec = 0.1;
  readonly calls: Array<{ n: number; actions: Float32Array }> = [];
  nanRows = 0;
  constructor(
    readonly actionDim: number,
    lo = -1,
    hi = 1,
  ) {
    const names = Array.from({ length: actionDim }, (_, i) => `j${i}`);
    this.layout = { groups: [{ kind: "joint_angle", names, offset: 0, size: actionDim }], size: actionDim };
    this.actionLow = new Float64Array(actionDim).fill(lo);
    this.actionHigh = new Float64Array(actionDim).fill(hi);
  }
  rollout(start: Float64Array, actions: Float32Array, n: number, h: number, out: RolloutOutput): void {
    const d = this.actionDim;
    this.calls.push({ n, actions: actions.slice(0, n * h * d) });
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < d; j++) {
        let x = start[j];
        for (let t = 0; t < h; t++) {
          x += actions[(i * h + t) * d + j] * this.stepSec;
          out.states[(i * h + t) * d + j] = i < this.nanRows ? Number.NaN : x;
        }
      }
    }
  }
}

/** Sum over the horizon of the distance to `goal`. */
function distanceCost(goal: number[]): TrajectoryCost & { seen: number[] } {
  const seen: number[] = [];
  return {
    name: "distance",
    seen,
    evaluate(b: RolloutBatch, costs: Float64Array): void {
      const d = b.layout.size;
      for (let i = 0; i < b.n; i++) {
        let c = 0;
        for (let t = 0; t < b.h; t++) {
          let e = 0;
          for (let j = 0; j < d; j++) e += (b.states[(i * b.h + t) * d + j] - goal[j]) ** 2;
          c += Math.sqrt(e);
        }
        costs[i] = c;
        seen.push(c);
      }
    },
  };
}

/** Closed loop: plan, apply the action to the true integrator, `steps` times; returns the final state. */
function closedLoop(planner: IcemPlanner, start: number[], steps: number): Float64Array {
  const x = Float64Array.from(start);
  for (let k = 0; k < steps; k++) {
    const { action } = planner.plan(x);
    for (let j = 0; j < x.length; j++) x[j] += action[j] * 0.1;
  }
  return x;
}

describe("IcemPlanner", () => {
  it("decays the population (N_i = max(2K, N_{i-1}/γ)) and adds ⌊ξK⌋ shifted elites from the second step on", () => {
    const model = new Integrator(2);
    const planner = new IcemPlanner(model, distanceCost([0.5, -0.5]), { population: 40, horizon: 8, iterations: 3, elites: 10, decay: 1.25, keepFraction: 0.3 });
    planner.plan(new Float64Array(2));
    assert.deepEqual(model.calls.map((c) => c.n), [40, 32, 25]);
    model.calls.length = 0;
    planner.plan(new Float64Array(2));
    assert.deepEqual(model.calls.map((c) => c.n), [43, 32, 25]);
    assert.equal(planner.trajectoriesPerStep, 40 + 32 + 25 + 3);
  });

  it("shifted elites are the last step's elites moved one step earlier", () => {
    const model = new Integrator(1);
    const planner = new IcemPlanner(model, distanceCost([0.7]), { population: 20, horizon: 6, elites: 5, keepFraction: 0.6, iterations: 2 });
    planner.plan(new Float64Array(1));
    // Elites can come from any iteration (the kept ones are not rolled out again).
    const previousCalls = model.calls.splice(0);
    planner.plan(new Float64Array(1));
    const first = model.calls[0];
    assert.equal(first.n, 20 + 3);
    // Each shifted row's first 5 steps must equal steps 1..5 of some sequence rolled out in the previous step.
    const h = 6;
    const previous: Float32Array[] = [];
    for (const c of previousCalls) for (let i = 0; i < c.n; i++) previous.push(c.actions.subarray(i * h, (i + 1) * h));
    for (let r = 20; r < 23; r++) {
      const row = first.actions.subarray(r * h, (r + 1) * h);
      const match = previous.some((p) => [0, 1, 2, 3, 4].every((t) => Math.abs(row[t] - p[t + 1]) < 1e-7));
      assert.ok(match, `row ${r} is not a shifted sequence of the previous step`);
    }
  });

  it("keeps every sample inside the action bounds and starts from the middle of an asymmetric range", () => {
    const model = new Integrator(3, 0, 1);
    const planner = new IcemPlanner(model, distanceCost([5, 5, 5]), { population: 64, horizon: 10, initStd: 2 });
    planner.plan(new Float64Array(3));
    for (const c of model.calls) for (const a of c.actions) assert.ok(a >= 0 && a <= 1, `sample ${a} outside [0, 1]`);
    // First iteration's samples are centred on (lo + hi)/2 = 0.5 (clipping is symmetric about it).
    const first = model.calls[0].actions;
    const m = first.reduce((s, v) => s + v, 0) / first.length;
    assert.ok(Math.abs(m - 0.5) < 0.05, `mean of first samples ${m}`);
  });

  it("drives the integrator to the goal in closed loop, in iCEM and in CEM mode", () => {
    for (const mode of ["icem", "cem"] as const) {
      const planner = new IcemPlanner(new Integrator(2), distanceCost([0.8, -0.6]), { mode, population: 40, horizon: 10, seed: 3 });
      const x = closedLoop(planner, [0, 0], 25);
      assert.ok(Math.hypot(x[0] - 0.8, x[1] + 0.6) < 0.05, `${mode} ended at ${x[0]}, ${x[1]}`);
    }
  });

  it("returns the cost of the best sequence seen and executes its first action", () => {
    const model = new Integrator(2);
    const cost = distanceCost([0.3, 0.3]);
    const planner = new IcemPlanner(model, cost, { population: 30, horizon: 5 });
    const r = planner.plan(new Float64Array(2));
    assert.equal(r.cost, Math.min(...cost.seen));
    assert.deepEqual(Array.from(r.action), Array.from(r.sequence.subarray(0, 2)));
    // The predicted states of that sequence are the integrator's.
    let x = 0;
    for (let t = 0; t < 5; t++) {
      x += r.sequence[t * 2] * 0.1;
      assert.ok(Math.abs(r.states[t * 2] - x) < 1e-5);
    }
  });

  it("CEM mode samples white noise at a constant population with no elite memory and executes the mean", () => {
    const model = new Integrator(1);
    const planner = new IcemPlanner(model, distanceCost([1]), { mode: "cem", population: 30, horizon: 6 });
    assert.equal(planner.options.beta, 0);
    assert.equal(planner.options.execute, "mean");
    planner.plan(new Float64Array(1));
    planner.plan(new Float64Array(1));
    assert.deepEqual(model.calls.map((c) => c.n), [30, 30, 30, 30, 30, 30]);
  });

  it("ranks non-finite costs last: a model that diverges for some rows still yields a finite action in range", () => {
    const model = new Integrator(2);
    model.nanRows = 25;
    const planner = new IcemPlanner(model, distanceCost([0.5, 0.5]), { population: 30, horizon: 5 });
    const r = planner.plan(new Float64Array(2));
    assert.ok(Number.isFinite(r.cost));
    for (const a of r.action) assert.ok(a >= -1 && a <= 1);
  });

  it("resets to the initial distribution: the same seed gives the same plan after reset()", () => {
    const planner = new IcemPlanner(new Integrator(2), distanceCost([0.5, 0.1]), { population: 20, horizon: 5, seed: 7 });
    const twin = new IcemPlanner(new Integrator(2), distanceCost([0.5, 0.1]), { population: 20, horizon: 5, seed: 7 });
    const a = Array.from(planner.plan(new Float64Array(2)).action);
    assert.deepEqual(Array.from(twin.plan(new Float64Array(2)).action), a);
    planner.plan(new Float64Array(2));
    planner.reset();
    // After a reset the shifted elites are gone: the first rollout has N rows again.
    const model = planner.model as Integrator;
    model.calls.length = 0;
    planner.plan(new Float64Array(2));
    assert.equal(model.calls[0].n, 20);
  });

  it("refuses a population, horizon or iteration count of 0, and bad modes, with one line naming the setting", () => {
    for (const [opt, re] of [
      [{ population: 0 }, /population must be an integer >= 2, got 0/],
      [{ horizon: 0 }, /horizon must be an integer >= 1, got 0/],
      [{ iterations: 0 }, /iterations must be/],
      [{ decay: 0.5 }, /decay must be in/],
      [{ mode: "mppi" }, /mode must be 'icem' or 'cem'/],
    ] as const) {
      assert.throws(() => plannerOptions(opt as never), (e: Error) => e instanceof PlannerOptionError && re.test(e.message) && !e.message.includes("\n"));
    }
  });
});
