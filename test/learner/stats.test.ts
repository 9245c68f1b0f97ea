import assert from "node:assert/strict";
import { ci95, studentTCdf, studentTQuantile, welchTTest } from "../../src/learner/logging/stats.js";

describe("experiment statistics", () => {
  it("Student t quantiles and CDF match the tables", () => {
    assert.ok(Math.abs(studentTQuantile(0.975, 4) - 2.7764) < 1e-3);
    assert.ok(Math.abs(studentTQuantile(0.975, 9) - 2.2622) < 1e-3);
    assert.ok(Math.abs(studentTQuantile(0.975, 1000) - 1.9623) < 1e-3);
    assert.ok(Math.abs(studentTCdf(0, 7) - 0.5) < 1e-12);
    assert.ok(Math.abs(studentTCdf(2, 3) - 0.93034) < 1e-4);
  });

  it("95 % CI half-width of the mean: t · sd / sqrt(n)", () => {
    const a = [1, 2, 3, 4, 5];
    assert.ok(Math.abs(ci95(a) - (2.7764 * Math.sqrt(2.5)) / Math.sqrt(5)) < 1e-3);
    assert.equal(ci95([3]), 0);
  });

  it("Welch's t-test: statistic, Welch–Satterthwaite df and two-sided p", () => {
    // Worked by hand: variances 2.5 and 12.2, t = −3.2 / sqrt(2.5/5 + 12.2/5), df by Welch–Satterthwaite.
    const w = welchTTest([1, 2, 3, 4, 5], [2, 4, 6, 8, 11]);
    assert.ok(Math.abs(w.t - -3.2 / Math.sqrt(0.5 + 2.44)) < 1e-9);
    assert.ok(Math.abs(w.df - 2.94 ** 2 / (0.25 / 4 + 2.44 ** 2 / 4)) < 1e-9);
    assert.ok(w.p > 0.1 && w.p < 0.13, `p ${w.p}`);
    assert.ok(welchTTest([10, 11, 12, 10.5, 11.5], [0, 1, 2, 0.5, 1.5]).p < 1e-4);
    assert.equal(welchTTest([1, 1], [1, 1]).p, 1);
  });
});
