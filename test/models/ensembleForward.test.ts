import assert from "node:assert/strict";
import { initBackend } from "../../src/learner/tf/backend.js";
import { ProbabilisticEnsemble } from "../../src/models/ProbabilisticEnsemble.js";
import { parseStateSpec } from "../../src/models/StateLayout.js";
import { Rng } from "../../src/core/rng.js";

const D = 4;
const A = 2;

function model(loss: "beta-nll" | "mse", seed: number): ProbabilisticEnsemble {
  const layout = parseStateSpec("muscle_force:*", { joints: [], muscles: Array.from({ length: D }, (_, i) => `m${i}`) });
  // Narrow log-variance bounds, so that both soft bounds shape the output.
  const m = new ProbabilisticEnsemble(layout, A, { members: 3, hidden: [16, 16], loss, minLogVar: -0.3, maxLogVar: 0.2 }, seed);
  const rng = new Rng(seed + 100);
  m.inputNorm.load({ mean: Array.from({ length: D + A }, () => rng.normal()), std: Array.from({ length: D + A }, () => 0.5 + rng.uniform(0, 2)) });
  m.targetNorm.load({ mean: Array.from({ length: D }, () => rng.normal()), std: Array.from({ length: D }, () => 0.1 + rng.uniform(0, 1)) });
  // Large weights: hidden units far into both tails of SiLU, raw log-variances beyond both bounds.
  const state = m.state();
  m.load({ ...state, weights: state.weights.map((arrays) => arrays.map((w) => Float32Array.from(w, () => 3 * rng.normal()))) });
  return m;
}

/** What `predictRows` must equal: the differentiable forward (`predictNormalized`), denormalized here. */
function reference(m: ProbabilisticEnsemble, states: Float32Array, actions: Float32Array, rows: number): { mean: Float32Array; logVar: Float32Array } {
  const x = new Float32Array(rows * (D + A));
  for (let r = 0; r < rows; r++) {
    for (let k = 0; k < D; k++) x[r * (D + A) + k] = (states[r * D + k] - m.inputNorm.mean[k]) * m.inputNorm.invStd[k];
    for (let k = 0; k < A; k++) x[r * (D + A) + D + k] = (actions[r * A + k] - m.inputNorm.mean[D + k]) * m.inputNorm.invStd[D + k];
  }
  const n = m.predictNormalized(x, rows);
  const mean = new Float32Array(n.mean.length);
  const logVar = new Float32Array(n.logVar.length);
  for (let i = 0; i < mean.length; i++) {
    const r = Math.floor(i / D) % rows;
    const k = i % D;
    mean[i] = states[r * D + k] + m.targetNorm.mean[k] + m.targetNorm.std[k] * n.mean[i];
    logVar[i] = n.logVar[i] + 2 * Math.log(m.targetNorm.std[k]);
  }
  return { mean, logVar };
}

function assertClose(actual: Float32Array, expected: Float32Array, what: string): void {
  assert.equal(actual.length, expected.length, what);
  let worst = 0;
  for (let i = 0; i < actual.length; i++) worst = Math.max(worst, Math.abs(actual[i] - expected[i]) / (1 + Math.abs(expected[i])));
  assert.ok(worst < 1e-4, `${what}: largest relative difference ${worst}`);
}

describe("ProbabilisticEnsemble: the inference forward equals the differentiable one", () => {
  before(async () => {
    await initBackend("auto");
  });

  for (const loss of ["beta-nll", "mse"] as const) {
    it(`${loss}: predict (every member on every row) and predictRows (a block per member)`, () => {
      const m = model(loss, loss === "mse" ? 2 : 1);
      if (loss === "mse") m.calibrateFixedVariance(Float32Array.from({ length: D }, (_, k) => 0.1 * (k + 1)));
      const rng = new Rng(7);
      const rows = 12;
      const states = Float32Array.from({ length: rows * D }, () => 2 * rng.normal());
      const actions = Float32Array.from({ length: rows * A }, () => rng.uniform(-1, 1));
      const ref = reference(m, states, actions, rows);
      const all = m.predict(states, actions, rows);
      assertClose(all.mean, ref.mean, "means");
      assertClose(all.logVar, ref.logVar, "log-variances");
      if (loss !== "mse") {
        // Both soft bounds were reached: normalized log-variances at lo (-0.3) and at the top,
        // lo + softplus(hi - lo).
        const top = -0.3 + Math.log1p(Math.exp(0.5));
        const normalized = Array.from(all.logVar, (v, i) => v - 2 * Math.log(m.targetNorm.std[i % D]));
        assert.ok(normalized.some((v) => Math.abs(v - top) < 0.02), "some log-variances at the upper bound");
        assert.ok(normalized.some((v) => Math.abs(v + 0.3) < 0.02), "some log-variances at the lower bound");
      }

      // Blocks: member e predicts rows [4e, 4e + 4) only, as that member does on every row.
      const blocks = m.predictRows(states, actions, rows, 4);
      const expectedMean = new Float32Array(rows * D);
      const expectedLogVar = new Float32Array(rows * D);
      for (let e = 0; e < 3; e++) {
        const from = (e * rows + 4 * e) * D;
        expectedMean.set(ref.mean.subarray(from, from + 4 * D), 4 * e * D);
        expectedLogVar.set(ref.logVar.subarray(from, from + 4 * D), 4 * e * D);
      }
      assertClose(blocks.mean, expectedMean, "block means");
      assertClose(blocks.logVar, expectedLogVar, "block log-variances");
      m.dispose();
    });
  }
});
