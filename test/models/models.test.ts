import assert from "node:assert/strict";
import fc from "fast-check";
import { createSensorFrame } from "../../src/core/frames.js";
import { Disagreement } from "../../src/intrinsic/Disagreement.js";
import { initBackend } from "../../src/learner/tf/backend.js";
import { EnsembleRollout } from "../../src/models/EnsembleRollout.js";
import { evaluateEnsemble, fitEnsemble, TransitionDataError, validateTransitions, type TransitionSet } from "../../src/models/EnsembleTrainer.js";
import { ModelShapeError, ProbabilisticEnsemble } from "../../src/models/ProbabilisticEnsemble.js";
import { entryLabels, entryRange, FrameStateReader, parseStateSpec, StateSpecError } from "../../src/models/StateLayout.js";
import { Rng } from "../../src/core/rng.js";

const KNOWN = { joints: ["shoulder", "elbow"], muscles: ["m0", "m1", "m2"], sites: ["base", "fingertip"] };

/** s' = s + 0.3·a + small noise on a 1-D state with a 1-D action, s uniform in [lo, hi]. */
function linearData(rows: number, lo: number, hi: number, seed: number): TransitionSet {
  const rng = new Rng(seed);
  const states = new Float32Array(rows);
  const actions = new Float32Array(rows);
  const next = new Float32Array(rows);
  for (let i = 0; i < rows; i++) {
    states[i] = rng.uniform(lo, hi);
    actions[i] = rng.uniform(-1, 1);
    next[i] = states[i] + 0.3 * actions[i] + 0.1 * Math.sin(3 * states[i]) + 0.01 * rng.normal();
  }
  return { rows, stateDim: 1, actionDim: 1, states, actions, next };
}

describe("world models", () => {
  before(async () => {
    await initBackend("auto");
  });

  describe("state layouts", () => {
    it("parses a spec into groups with offsets and sizes", () => {
      const l = parseStateSpec("joint_angle:*,joint_velocity:elbow,site_position:fingertip", KNOWN);
      assert.deepEqual(
        l.groups.map((g) => [g.kind, g.names.join("+"), g.offset, g.size]),
        [
          ["joint_angle", "shoulder+elbow", 0, 2],
          ["joint_velocity", "elbow", 2, 1],
          ["site_position", "fingertip", 3, 3],
        ],
      );
      assert.equal(l.size, 6);
      assert.deepEqual(entryRange(l, "site_position", "fingertip"), [3, 6]);
      assert.equal(entryLabels(l)[5], "site_position:fingertip.z");
    });
    it("names an unknown joint or site and lists the known ones, in one line", () => {
      assert.throws(() => parseStateSpec("joint_angle:wrist", KNOWN), (e: Error) => e instanceof StateSpecError && /unknown joint 'wrist'.*shoulder, elbow/.test(e.message) && !e.message.includes("\n"));
      assert.throws(() => parseStateSpec("site_position:hand", KNOWN), /unknown site 'hand'.*base, fingertip/);
      assert.throws(() => parseStateSpec("joint_angel:*", KNOWN), /unknown state kind 'joint_angel'/);
      assert.throws(() => parseStateSpec("site_position:fingertip", { joints: ["a"], muscles: [] }), /no site positions/);
      assert.throws(() => parseStateSpec("joint_angle:*,joint_angle:elbow", KNOWN), /repeats/);
    });
    it("fills state vectors from frames and a site reader", () => {
      const l = parseStateSpec("muscle_force:m2+m0,joint_angle:elbow,site_position:fingertip", KNOWN);
      const spec = { name: "t", muscles: KNOWN.muscles.map((n) => ({ name: n, commandMin: 0, commandMax: 1, safeCommand: 0 })), joints: KNOWN.joints.map((n) => ({ name: n, rangeRad: null })), commandUnit: "activation" as const };
      const frame = createSensorFrame(spec);
      frame.muscleForceN.set([10, 11, 12]);
      frame.jointAngleRad.set([0.5, 0.7]);
      const reader = new FrameStateReader(l, KNOWN, (ids, out) => {
        assert.deepEqual(Array.from(ids), [1]);
        out.set([1, 2, 3]);
      });
      const out = new Float64Array(6);
      reader.fill(frame, out);
      assert.deepEqual(Array.from(out), [12, 10, 0.7, 1, 2, 3]);
    });
  });

  describe("ProbabilisticEnsemble", () => {
    const layout = parseStateSpec("joint_angle:shoulder", KNOWN);

    it("learns a one-step model with calibrated-looking variance, and restores its state", function () {
      this.timeout(120_000);
      const data = linearData(2000, -1, 1, 1);
      const m = new ProbabilisticEnsemble(layout, 1, { members: 3, hidden: [32, 32], loss: "beta-nll" }, 1);
      const fit = fitEnsemble(m, data, { maxSteps: 400, evalEvery: 100, batchSize: 64, seed: 1 });
      const ev = evaluateEnsemble(m, fit.holdout);
      // The delta varies with std ≈ 0.2; its noise is 0.01: a fitted model explains most of it.
      assert.ok(ev.normalizedMse < 0.1, `normalized MSE ${ev.normalizedMse}`);
      assert.ok(ev.within2 > 0.8, `inside 2σ ${ev.within2}`);
      const copy = new ProbabilisticEnsemble(layout, 1, { members: 3, hidden: [32, 32] }, 99);
      copy.load(m.state());
      const s = Float32Array.of(0.2);
      const a = Float32Array.of(-0.5);
      assert.deepEqual(Array.from(copy.predict(s, a, 1).mean), Array.from(m.predict(s, a, 1).mean));
      const wrong = new ProbabilisticEnsemble(layout, 1, { members: 3, hidden: [16, 16] }, 1);
      assert.throws(() => wrong.load(m.state()), ModelShapeError);
      assert.throws(() => new ProbabilisticEnsemble(layout, 2, { members: 3, hidden: [32, 32] }).load(m.state()), /action size 1, this model has 2/);
      // Disagreement far from the data is several times that on unseen in-range states.
      const dis = new Disagreement(m, { scale: m.targetNorm.std });
      const score = (lo: number, hi: number): number => {
        const d = linearData(200, lo, hi, 7);
        const out = new Float64Array(200);
        dis.compute(d, out);
        return out.reduce((x, y) => x + y, 0) / 200;
      };
      const inside = score(-1, 1);
      const outside = score(4, 6);
      assert.ok(outside > 3 * inside, `disagreement in ${inside}, out ${outside}`);
      for (const x of [m, copy, wrong]) x.dispose();
    });

    it("rejects non-finite transitions with the row and entry", () => {
      const data = linearData(10, -1, 1, 2);
      data.next[7] = NaN;
      assert.throws(() => validateTransitions(data), (e: Error) => e instanceof TransitionDataError && /transition 7 has a non-finite next state entry 0/.test(e.message));
    });

    it("rolls out: the mean mode is the members' mean fed back; TS modes need particles in multiples of E", () => {
      const m = new ProbabilisticEnsemble(layout, 1, { members: 2, hidden: [8] }, 3);
      const ro = new EnsembleRollout(m, { propagation: "mean", actionLow: Float64Array.of(-1), actionHigh: Float64Array.of(1), stepSec: 0.02 });
      const actions = Float32Array.of(0.5, 2, -0.25); // 2 is clipped to the bound 1
      const out = { states: new Float32Array(3), disagreement: new Float32Array(3) };
      ro.rollout(Float64Array.of(0.1), actions, 1, 3, out);
      let s = Float32Array.of(0.1);
      for (const u of [0.5, 1, -0.25]) {
        const p = m.predict(s, Float32Array.of(u), 1);
        s = Float32Array.of((p.mean[0] + p.mean[1]) / 2);
      }
      assert.ok(Math.abs(out.states[2] - s[0]) < 1e-5);
      assert.ok(out.disagreement.every((x) => x >= 0));
      assert.throws(() => new EnsembleRollout(m, { propagation: "ts1", particles: 3, actionLow: Float64Array.of(-1), actionHigh: Float64Array.of(1), stepSec: 0.02 }), /multiple/);
      fc.assert(
        fc.property(fc.constantFrom("ts1", "tsinf", "members") as fc.Arbitrary<"ts1" | "tsinf" | "members">, fc.integer({ min: 1, max: 3 }), (prop, n) => {
          const r = new EnsembleRollout(m, { propagation: prop, particles: 4, actionLow: Float64Array.of(-1), actionHigh: Float64Array.of(1), stepSec: 0.02, seed: n });
          const o = { states: new Float32Array(n * 2), disagreement: new Float32Array(n * 2) };
          r.rollout(Float64Array.of(0), new Float32Array(n * 2).fill(0.3), n, 2, o);
          assert.ok(o.states.every(Number.isFinite) && o.disagreement.every((x) => x >= 0));
        }),
        { numRuns: 6 },
      );
      m.dispose();
    });
  });
});
