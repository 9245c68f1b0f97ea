import assert from "node:assert/strict";
import fc from "fast-check";
import { CausalActionInfluence } from "../../src/intrinsic/CausalActionInfluence.js";
import { Disagreement } from "../../src/intrinsic/Disagreement.js";
import { PredictionError } from "../../src/intrinsic/PredictionError.js";
import { Regularity } from "../../src/intrinsic/Regularity.js";
import { IntrinsicInputError } from "../../src/intrinsic/types.js";
import { parseStateSpec } from "../../src/models/StateLayout.js";
import type { DynamicsModel, EnsemblePrediction } from "../../src/models/types.js";

/** Member e predicts s' = s + gain·a + offsets[e], variance e^logVar, on every state entry (actions cycle over entries). */
function linearModel(stateDim: number, actionDim: number, offsets: number[], gain = 1, logVar = 0): DynamicsModel {
  const names = Array.from({ length: stateDim }, (_, i) => `j${i}`);
  return {
    layout: parseStateSpec("joint_angle:*", { joints: names, muscles: [] }),
    actionDim,
    members: offsets.length,
    predict(states: Float32Array, actions: Float32Array, rows: number): EnsemblePrediction {
      const E = offsets.length;
      const mean = new Float32Array(E * rows * stateDim);
      const lv = new Float32Array(E * rows * stateDim).fill(logVar);
      for (let e = 0; e < E; e++)
        for (let r = 0; r < rows; r++)
          for (let k = 0; k < stateDim; k++) mean[(e * rows + r) * stateDim + k] = states[r * stateDim + k] + gain * actions[r * actionDim + (k % actionDim)] + offsets[e];
      return { mean, logVar: lv };
    },
  };
}

const small = fc.float({ min: -5, max: 5, noNaN: true, noDefaultInfinity: true });

describe("intrinsic signals", () => {
  describe("Disagreement", () => {
    it("is the unbiased std over members summed over entries (hand-computed)", () => {
      // Members at +1 and +3 around the same mean: std = sqrt(((−1)² + 1²) / 1) = √2 per entry, 2 entries.
      const d = new Disagreement(linearModel(2, 1, [1, 3]));
      const out = new Float64Array(1);
      d.compute({ rows: 1, states: Float32Array.of(0.5, -2), actions: Float32Array.of(0.3) }, out);
      assert.ok(Math.abs(out[0] - 2 * Math.SQRT2) < 1e-5, String(out[0]));
      // Scaled: entry 0 divided by 2, entry 1 by 1.
      const ds = new Disagreement(linearModel(2, 1, [1, 3]), { scale: [2, 1] });
      ds.compute({ rows: 1, states: Float32Array.of(0, 0), actions: Float32Array.of(0) }, out);
      assert.ok(Math.abs(out[0] - 1.5 * Math.SQRT2) < 1e-5);
    });
    it("is 0 for identical members and never negative", () => {
      fc.assert(
        fc.property(fc.array(small, { minLength: 3, maxLength: 3 }), small, fc.array(small, { minLength: 2, maxLength: 5 }), (s, a, offsets) => {
          const out = new Float64Array(1);
          const batch = { rows: 1, states: Float32Array.from(s), actions: Float32Array.of(a) };
          new Disagreement(linearModel(3, 1, offsets.map(() => offsets[0]))).compute(batch, out);
          assert.ok(Math.abs(out[0]) < 1e-5);
          new Disagreement(linearModel(3, 1, offsets)).compute(batch, out);
          assert.ok(out[0] >= 0);
        }),
        { numRuns: 50 },
      );
    });
  });

  describe("PredictionError", () => {
    it("is the norm of the observed minus the predicted next state (hand-computed)", () => {
      // ŝ' = s + a = (1, 2); s' = (1, 0): error (0, −2), norm 2.
      const p = new PredictionError(linearModel(2, 2, [0]));
      const out = new Float64Array(1);
      p.compute({ rows: 1, states: Float32Array.of(0, 0), actions: Float32Array.of(1, 2), next: Float32Array.of(1, 0) }, out);
      assert.ok(Math.abs(out[0] - 2) < 1e-6);
    });
    it("is 0 when the model is right and scales with the error", () => {
      fc.assert(
        fc.property(small, small, small, fc.float({ min: -3, max: 3, noNaN: true }), (s0, s1, a, c) => {
          const model = linearModel(2, 1, [0.5, -0.5]);
          const p = new PredictionError(model);
          const mean = [s0 + a, s1 + a];
          const out = new Float64Array(1);
          const states = Float32Array.of(s0, s1);
          p.compute({ rows: 1, states, actions: Float32Array.of(a), next: Float32Array.from(mean) }, out);
          assert.ok(out[0] < 1e-4);
          p.compute({ rows: 1, states, actions: Float32Array.of(a), next: Float32Array.of(mean[0] + c, mean[1]) }, out);
          assert.ok(Math.abs(out[0] - Math.abs(Math.fround(mean[0] + c) - Math.fround(Math.fround(s0) + Math.fround(a)))) < 1e-3);
        }),
        { numRuns: 50 },
      );
    });
    it("says it needs next states", () => {
      const p = new PredictionError(linearModel(2, 1, [0]));
      assert.throws(() => p.compute({ rows: 1, states: new Float32Array(2), actions: new Float32Array(1) }, new Float64Array(1)), IntrinsicInputError);
    });
  });

  describe("CausalActionInfluence", () => {
    it("matches the KL-to-mixture approximation computed by hand for two actions", () => {
      // p1 = N(0, 1), p2 = N(2, 1): KL(p1‖p2) = 2; KL_var = log 2 − log(1 + e^−2);
      // KL_prod = log 2 − ½ log(2πe) + ½ log(4π) − log(1 + e^−1); symmetric in k.
      const cai = new CausalActionInfluence(linearModel(1, 1, [0], 2), { entries: [0, 1], actionLow: [0], actionHigh: [1], candidates: Float32Array.of(0, 1) });
      const out = new Float64Array(1);
      cai.compute({ rows: 1, states: Float32Array.of(0), actions: new Float32Array(1) }, out);
      const klVar = Math.log(2) - Math.log(1 + Math.exp(-2));
      const klProd = Math.log(2) - 0.5 * Math.log(2 * Math.PI * Math.E) + 0.5 * Math.log(4 * Math.PI) - Math.log(1 + Math.exp(-1));
      assert.ok(Math.abs(out[0] - 0.5 * (klVar + klProd)) < 1e-6, `${out[0]} vs ${0.5 * (klVar + klProd)}`);
      assert.ok(Math.abs(out[0] - 0.3963) < 1e-3);
    });
    it("is 0 when the model ignores the action, and grows with the action's gain", () => {
      fc.assert(
        fc.property(fc.array(small, { minLength: 2, maxLength: 2 }), fc.integer({ min: 0, max: 1000 }), (s, seed) => {
          const out = new Float64Array(1);
          const batch = { rows: 1, states: Float32Array.from(s), actions: new Float32Array(1) };
          const opts = { entries: [0, 2] as const, actionLow: [-1], actionHigh: [1], samples: 8, seed };
          new CausalActionInfluence(linearModel(2, 1, [0.1, -0.1], 0), opts).compute(batch, out);
          assert.ok(Math.abs(out[0]) < 1e-6, String(out[0]));
          new CausalActionInfluence(linearModel(2, 1, [0.1, -0.1], 0.5), opts).compute(batch, out);
          const weak = out[0];
          new CausalActionInfluence(linearModel(2, 1, [0.1, -0.1], 3), opts).compute(batch, out);
          assert.ok(weak >= 0 && out[0] > weak);
        }),
        { numRuns: 30 },
      );
    });
  });

  describe("Regularity", () => {
    it("is minus the per-axis entropy of the binned pairwise differences (hand-computed)", () => {
      // x: 0, 2.5, 5 with 1 m bins: |Δx| bins 2, 5, 2 → H = −(⅔ log ⅔ + ⅓ log ⅓); y all equal → 0.
      const r = new Regularity({ stateDim: 6, positions: [0, 2, 4], binM: 1 });
      const out = new Float64Array(1);
      r.compute({ rows: 1, states: Float32Array.of(0, 7, 2.5, 7, 5, 7), actions: new Float32Array(0) }, out);
      const h = -((2 / 3) * Math.log(2 / 3) + (1 / 3) * Math.log(1 / 3));
      assert.ok(Math.abs(out[0] + h) < 1e-9);
    });
    it("does not depend on the order of the positions and lies in [−axes·log(pairs), 0]", () => {
      fc.assert(
        fc.property(fc.array(fc.float({ min: -1, max: 1, noNaN: true }), { minLength: 8, maxLength: 8 }), (xs) => {
          const a = new Regularity({ stateDim: 8, positions: [0, 2, 4, 6], binM: 0.05 });
          const b = new Regularity({ stateDim: 8, positions: [6, 2, 0, 4], binM: 0.05 });
          const oa = new Float64Array(1);
          const ob = new Float64Array(1);
          const batch = { rows: 1, states: Float32Array.from(xs), actions: new Float32Array(0) };
          a.compute(batch, oa);
          b.compute(batch, ob);
          assert.ok(Math.abs(oa[0] - ob[0]) < 1e-12);
          assert.ok(oa[0] <= 0 && oa[0] >= -2 * Math.log(6) - 1e-12);
        }),
        { numRuns: 100 },
      );
    });
  });
});
