import assert from "node:assert/strict";
import { benchDep } from "../../bench/dep.js";

describe("bench/dep", () => {
  it("returns per-step figures with learning active", () => {
    const r = benchDep(6, { steps: 300, warmupSteps: 20 });
    assert.equal(r.n, 6);
    assert.ok(Number.isFinite(r.medianUsPerStep) && r.medianUsPerStep > 0);
    assert.ok(r.p99UsPerStep >= r.medianUsPerStep);
    assert.ok(r.samples >= 1 && r.batchSize >= 1);
  });

  it("refuses to time a controller that never learns", () => {
    assert.throws(() => benchDep(3, { steps: 10, warmupSteps: 0, params: { with_learning: false } }), /learning is not active/);
  });
});
