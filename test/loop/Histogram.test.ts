import assert from "node:assert/strict";
import fc from "fast-check";
import { Histogram } from "../../src/core/Histogram.js";
import { LoopStats } from "../../src/loop/LoopStats.js";

describe("Histogram", () => {
  it("gives quantiles within one bin of the exact sorted value", () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: 0, max: 0.05, noNaN: true }), { minLength: 1, maxLength: 300 }), fc.double({ min: 0.01, max: 1, noNaN: true }), (values, q) => {
        const h = new Histogram(1e-5, 0.1);
        for (const v of values) h.record(v);
        const sorted = [...values].sort((a, b) => a - b);
        const exact = sorted[Math.max(0, Math.ceil(q * values.length) - 1)];
        const got = h.quantile(q);
        assert.ok(got >= exact - 1e-12 && got <= exact + 1e-5 + 1e-12, `q=${q}: got ${got}, exact ${exact}`);
      }),
    );
  });

  it("keeps the exact max past the last bin", () => {
    const h = new Histogram(1e-3, 0.01);
    h.record(0.002);
    h.record(5);
    assert.equal(h.max, 5);
    assert.equal(h.quantile(1), 5);
    assert.equal(h.count, 2);
  });

  it("ignores non-finite values", () => {
    const h = new Histogram(1, 10);
    h.record(Number.NaN);
    h.record(Infinity);
    assert.equal(h.count, 0);
    assert.equal(h.quantile(0.5), 0);
  });
});

describe("LoopStats", () => {
  it("counts overruns and missed cycles, and reports milliseconds", () => {
    const s = new LoopStats();
    s.record(0.0001, 0.0002, 0);
    s.record(0.0003, 0.0001, 2);
    s.record(0.0002, 0.0001, 1);
    const sum = s.summary();
    assert.equal(sum.ticks, 3);
    assert.equal(sum.overruns, 2);
    assert.equal(sum.missedCycles, 3);
    assert.equal(sum.maxPeriodErrorMs, 0.3);
    // Quantiles are exact to one 1 µs bin.
    assert.ok(Math.abs(sum.p50PeriodErrorMs - 0.2) <= 0.0015, `p50 ${sum.p50PeriodErrorMs}`);
  });
});
