import assert from "node:assert/strict";
import { Dep } from "../../src/dep/Dep.js";
import { resolveDepParams } from "../../src/dep/params.js";
import { replayDep } from "../../src/dep/replay.js";
import { type DepFixture, loadFixture, maxAbsDiff, maxRelDiff } from "./helpers.js";

/** The reference computes in float32; its outputs are compared with a tolerance of 1e-3. */
const TOLERANCE = 1e-3;

function runFixture(fx: DepFixture, extra: Record<string, unknown> = {}) {
  const nested = Array.isArray(fx.inputs[0][0]);
  const envs = nested ? fx.inputs[0].length : 1;
  const n = nested ? (fx.inputs[0][0] as number[]).length : fx.inputs[0].length;
  const dep = new Dep(resolveDepParams({ params: { ...fx.params, ...extra } }), n, envs);
  const out = new Float64Array(envs * n);
  let maxOutputError = 0;
  fx.inputs.forEach((row, t) => {
    dep.step((row as (number | number[])[]).flat(), out);
    maxOutputError = Math.max(maxOutputError, maxAbsDiff(out, fx.outputs[t].flat()));
  });
  return { dep, maxOutputError };
}

for (const name of ["default_T300_n6.json", "myosuite_T300_E2_n4.json"]) {
  describe(`reference fixture ${name}`, () => {
    const fx = loadFixture(name);

    it("reproduces every output within 1e-3", () => {
      const { maxOutputError } = runFixture(fx);
      assert.ok(maxOutputError <= TOLERANCE, `max |y − y_ref| = ${maxOutputError}`);
    });

    it("ends with the reference's C_norm, bias and t", () => {
      const { dep } = runFixture(fx);
      assert.equal(dep.t, fx.final_t);
      // C_norm entries reach kappa (up to ~1200): relative tolerance for float32.
      const cErr = maxRelDiff(dep.cNorm(), fx.final_C_norm.flat(2));
      assert.ok(cErr <= TOLERANCE, `C_norm: max relative error ${cErr}`);
      const bErr = maxAbsDiff(dep.bias(), fx.final_bias.flat());
      assert.ok(bErr <= TOLERANCE, `bias: max error ${bErr}`);
      assert.ok(fx.final_bias.flat().some((v) => v !== 0), "the fixture exercises the bias");
    });

    it("replays the fixture file as is to the same outputs", () => {
      const result = replayDep(fx);
      assert.equal(result.outputs.length, fx.outputs.length);
      assert.ok(maxAbsDiff(result.outputs.flat(2), fx.outputs.flat(2)) <= TOLERANCE);
      assert.equal(result.finalT, fx.final_t);
    });

    it("differs clearly from the reference with row-wise normalization (the quirk matters)", () => {
      const { maxOutputError } = runFixture(fx, { normalization_axis: "row" });
      assert.ok(maxOutputError > 0.5, `max difference with rows: ${maxOutputError}`);
    });
  });
}
