import assert from "node:assert/strict";
import { createSensorFrame } from "../../src/core/frames.js";
import type { RobotSpec } from "../../src/core/spec.js";
import type { PlanResult } from "../../src/planning/IcemPlanner.js";
import { BetweenTicksBackend, InlineBackend, WorkerBackend } from "../../src/planning/PlanBackends.js";
import { PlannerController } from "../../src/planning/PlannerController.js";
import type { PlanFunction } from "../../src/planning/planSetup.js";
import { resolveModelSource } from "../../sim/modelSource.js";
import { MujocoBridge } from "../../sim/MujocoBridge.js";

const spec: RobotSpec = {
  name: "two",
  muscles: [
    { name: "a", commandMin: 0, commandMax: 1, safeCommand: 0 },
    { name: "b", commandMin: 0, commandMax: 1, safeCommand: 0 },
  ],
  joints: [],
  commandUnit: "activation",
};

/** A plan function whose sequence encodes the start state and the step: action t = start[0] + t / 100. */
function fakePlan(horizon: number, opts: { fail?: (call: number) => boolean } = {}): PlanFunction & { calls: number } {
  const seq = new Float32Array(horizon * 2);
  const fn = {
    calls: 0,
    layout: { groups: [], size: 1 },
    model: undefined as never,
    planner: undefined as never,
    startSize: 1,
    plan(start: Float64Array): PlanResult {
      fn.calls++;
      if (opts.fail?.(fn.calls)) throw new Error("model diverged");
      for (let t = 0; t < horizon; t++) seq[2 * t] = seq[2 * t + 1] = start[0] + t / 100;
      return { action: seq.subarray(0, 2), sequence: seq, states: new Float32Array(0), cost: 1, disagreement: 0, rollouts: 10 };
    },
    close() {},
  };
  return fn;
}

function controller(backend: ConstructorParameters<typeof PlannerController>[0]["backend"], horizon = 5, stepSec = 0.1): PlannerController {
  const c = new PlannerController({ backend, readState: (f, out) => (out[0] = f.stampSec), stateSize: 1, horizon, stepSec });
  c.configure(spec);
  return c;
}

describe("PlannerController", () => {
  it("inline: plans once per model step and plays the plan's actions in between", () => {
    const fn = fakePlan(5);
    const c = controller(new InlineBackend(fn));
    const frame = createSensorFrame(spec);
    const got: number[] = [];
    for (let k = 0; k < 10; k++) {
      frame.stampSec = k * 0.02; // 50 Hz ticks, 0.1 s model steps
      got.push(c.update(frame, 0.02)[0]);
    }
    assert.equal(fn.calls, 2);
    // Ticks 0-4 play action 0 of the plan from t = 0 (0 + 0/100), ticks 5-9 the plan from t = 0.1.
    assert.deepEqual(got.map((x) => Math.round(x * 1000) / 1000), [0, 0, 0, 0, 0, 0.1, 0.1, 0.1, 0.1, 0.1]);
    assert.equal(c.stats.plans, 2);
    assert.equal(c.stats.safeTicks, 0);
  });

  it("between ticks: the tick that asks gets the safe command, later ticks the plan's action for their time", async () => {
    const fn = fakePlan(5);
    const c = controller(new BetweenTicksBackend(fn));
    const frame = createSensorFrame(spec);
    frame.stampSec = 0;
    assert.equal(c.update(frame, 0.02)[0], 0);
    assert.equal(c.stats.safeTicks, 1, "no plan yet");
    assert.equal(fn.calls, 0, "planning waits until the tick is over");
    await new Promise((r) => setImmediate(r));
    assert.equal(fn.calls, 1);
    // A tick 0.25 s after the plan's start state: step 2 of that plan.
    frame.stampSec = 0.25;
    const u = c.update(frame, 0.02)[0];
    assert.ok(Math.abs(u - 0.02) < 1e-6, `got ${u}`);
  });

  it("counts plans that are due while the backend is busy, and falls back to the safe command when a plan expires", async () => {
    const fn = fakePlan(3);
    const backend = new BetweenTicksBackend(fn);
    const c = controller(backend, 3, 0.1);
    const frame = createSensorFrame(spec);
    frame.stampSec = 0;
    c.update(frame, 0.1);
    frame.stampSec = 0.1; // due again, the first plan has not run (no event-loop turn yet)
    c.update(frame, 0.1);
    assert.equal(c.stats.late, 1);
    await new Promise((r) => setImmediate(r));
    // The plan from t = 0 covers 0..0.3 s; at 0.35 s it has run out (and the new plan is not in yet).
    frame.stampSec = 0.35;
    const before = c.stats.safeTicks;
    c.update(frame, 0.1);
    // The tick asked for a new plan (it was idle), which has not arrived: the old one is expired.
    assert.equal(c.stats.safeTicks, before + 1);
  });

  it("a plan that throws becomes the safe command and an error count, and the next plan is used again", () => {
    const fn = fakePlan(5, { fail: (call) => call === 1 });
    const c = controller(new InlineBackend(fn));
    const frame = createSensorFrame(spec);
    frame.stampSec = 0.5;
    assert.deepEqual(Array.from(c.update(frame, 0.1)), [0, 0]);
    assert.equal(c.stats.errors, 1);
    assert.equal(c.stats.lastError, "model diverged");
    frame.stampSec = 0.6;
    assert.ok(Math.abs(c.update(frame, 0.1)[0] - 0.6) < 1e-6);
  });

  it("worker: plans with MuJoCo in a worker thread from the simulation's physics state", async function () {
    this.timeout(60_000);
    const source = resolveModelSource("arm2j6m");
    const backend = await WorkerBackend.start({
      model: { kind: "mujoco", source, stateSpec: "joint_angle:*,joint_velocity:*,site_position:fingertip", stepSec: 0.1, timestepSec: 0.01 },
      cost: { kind: "task", task: { kind: "reach", site: "fingertip", target: [0.2, 0.4, 0] } },
      planner: { population: 8, horizon: 3, iterations: 1 },
    });
    const bridge = new MujocoBridge({ source, frameSkip: 50 });
    await bridge.configure();
    await bridge.activate();
    const physics = bridge.readPhysicsState(new Float64Array(bridge.physicsStateSize));
    try {
      assert.equal(backend.busy, false);
      backend.request(physics, 0);
      assert.equal(backend.busy, true);
      let plan = backend.take();
      for (let i = 0; i < 600 && !plan; i++) {
        await new Promise((r) => setTimeout(r, 50));
        plan = backend.take();
      }
      assert.ok(plan && plan.error === undefined, plan?.error);
      assert.equal(plan.sequence.length, 3 * 6);
      assert.ok(plan.rollouts >= 8 && Number.isFinite(plan.cost));
      // A start state of the wrong size is answered with the reason, not a dead worker.
      backend.request(new Float64Array(3), 1);
      let bad = backend.take();
      for (let i = 0; i < 200 && !bad; i++) {
        await new Promise((r) => setTimeout(r, 25));
        bad = backend.take();
      }
      assert.match(bad?.error ?? "", /physics state has 3 entries/);
    } finally {
      await backend.close();
      await bridge.shutdown();
    }
  });

  it("a worker that cannot build its planner rejects with the reason", async function () {
    this.timeout(60_000);
    await assert.rejects(
      WorkerBackend.start({ model: { kind: "mujoco", source: resolveModelSource("arm2j6m"), stateSpec: "site_position:thumb", stepSec: 0.1 }, cost: { kind: "disagreement" }, planner: {} }),
      /unknown site 'thumb'/,
    );
  });
});
